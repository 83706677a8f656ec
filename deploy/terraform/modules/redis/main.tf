# Memorystore for Redis: the workbench's LLM response cache (WORKBENCH_RESPONSE_CACHE), shared
# by every workbench replica and Dask worker. Private services access only, AUTH required and
# TLS in transit; the connection URL (with its AUTH string) is written to Secret Manager by the
# secrets module, never to a file in this repository.

resource "google_redis_instance" "cache" {
  project        = var.project_id
  name           = var.name
  region         = var.region
  tier           = var.tier
  memory_size_gb = var.memory_size_gb
  redis_version  = "REDIS_7_2"

  authorized_network      = var.network_id
  connect_mode            = "PRIVATE_SERVICE_ACCESS"
  auth_enabled            = true
  transit_encryption_mode = "SERVER_AUTHENTICATION"

  redis_configs = {
    maxmemory-policy = "allkeys-lru"
  }

  maintenance_policy {
    weekly_maintenance_window {
      day = "SUNDAY"
      start_time {
        hours   = 3
        minutes = 0
      }
    }
  }

  labels = {
    app = "workbench"
  }

  depends_on = [var.private_services_connection]
}
