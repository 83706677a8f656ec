# dev: small and cheap; spot nodes, one-zone database, deleted with its bucket.
# image_tag is set by the deploy workflow (-var image_tag=<commit SHA>).
project_id    = "acme-workbench-dev"
region        = "europe-west1"
environment   = "dev"
domain        = "workbench.dev.example.com"
admin_users   = ["admin"]
authenticator = "native"

network = {
  subnet_cidr   = "10.10.0.0/20"
  pods_cidr     = "10.14.0.0/14"
  services_cidr = "10.18.0.0/20"
  master_cidr   = "172.16.0.0/28"
}

master_authorized_networks = [
  { cidr_block = "198.51.100.0/24", display_name = "operators' VPN" },
]

node_pools = {
  core = { machine_type = "e2-standard-4", min_nodes = 1, max_nodes = 2, disk_size_gb = 50, spot = false, purpose = "core" }
  user = { machine_type = "e2-standard-4", min_nodes = 0, max_nodes = 2, disk_size_gb = 50, spot = true, purpose = "user" }
  dask = { machine_type = "e2-standard-4", min_nodes = 0, max_nodes = 2, disk_size_gb = 50, spot = true, purpose = "dask" }
}

database = {
  tier                  = "db-custom-1-3840"
  disk_size_gb          = 10
  disk_limit_gb         = 50
  high_availability     = false
  deletion_protection   = false
  backup_retention_days = 3
  pitr_days             = 1
}

cache = {
  memory_size_gb = 1
  tier           = "BASIC"
}

artifact_location           = "EUROPE-WEST1"
bucket_prefix               = "acme-workbench-dev"
cluster_deletion_protection = false

hub_resources       = { cpu = "100m", memory = "512Mi", memory_limit = "1Gi" }
workbench_resources = { cpu = "250m", memory = "1Gi", memory_limit = "2Gi" }
mlflow_resources    = { replicas = 1, cpu = "100m", memory = "512Mi", memory_limit = "1Gi" }
user_resources      = { cpu_guarantee = 0.25, cpu_limit = 1, memory_guarantee = "512M", memory_limit = "2G", storage = "5Gi" }

user_placeholders    = 0
cull_timeout_seconds = 1800

dask = {
  scheduler_cores         = 0.5
  scheduler_memory        = "1 G"
  worker_cores            = 1
  worker_memory           = "2 G"
  max_workers_per_cluster = 4
}

notification_emails = ["workbench-dev-alerts@example.com"]
