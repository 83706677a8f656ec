# prod: hundreds of users. REGIONAL (high-availability) database with deletion protection,
# 14 daily backups and 7 days of point-in-time recovery; on-demand core nodes in every zone.
project_id    = "acme-workbench-prod"
region        = "europe-west1"
environment   = "prod"
domain        = "workbench.example.com"
admin_users   = ["admin"]
authenticator = "native"

network = {
  subnet_cidr   = "10.30.0.0/20"
  pods_cidr     = "10.32.0.0/14"
  services_cidr = "10.36.0.0/20"
  master_cidr   = "172.16.0.32/28"
}

master_authorized_networks = [
  { cidr_block = "198.51.100.0/24", display_name = "operators' VPN" },
]

node_pools = {
  core = { machine_type = "n2-standard-4", min_nodes = 1, max_nodes = 3, disk_size_gb = 100, spot = false, purpose = "core" }
  user = { machine_type = "n2-standard-8", min_nodes = 1, max_nodes = 20, disk_size_gb = 100, spot = false, purpose = "user" }
  dask = { machine_type = "n2-standard-8", min_nodes = 0, max_nodes = 20, disk_size_gb = 100, spot = true, purpose = "dask" }
}

database = {
  tier                  = "db-custom-4-15360"
  disk_size_gb          = 100
  disk_limit_gb         = 1000
  high_availability     = true
  deletion_protection   = true
  backup_retention_days = 14
  pitr_days             = 7
}

cache = {
  memory_size_gb = 5
  tier           = "STANDARD_HA"
}

artifact_location           = "EU"
bucket_prefix               = "acme-workbench-prod"
cluster_deletion_protection = true

hub_resources       = { cpu = "500m", memory = "2Gi", memory_limit = "4Gi" }
workbench_resources = { cpu = "2", memory = "4Gi", memory_limit = "8Gi" }
mlflow_resources    = { replicas = 2, cpu = "500m", memory = "2Gi", memory_limit = "4Gi" }
user_resources      = { cpu_guarantee = 0.5, cpu_limit = 4, memory_guarantee = "2G", memory_limit = "8G", storage = "20Gi" }

user_placeholders    = 4
cull_timeout_seconds = 3600

dask = {
  scheduler_cores         = 1
  scheduler_memory        = "4 G"
  worker_cores            = 2
  worker_memory           = "8 G"
  max_workers_per_cluster = 16
}

notification_emails = ["workbench-oncall@example.com"]
