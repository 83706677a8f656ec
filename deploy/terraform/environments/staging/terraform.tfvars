# staging: production's shape at a smaller size; releases are rehearsed here.
project_id    = "acme-workbench-staging"
region        = "europe-west1"
environment   = "staging"
domain        = "workbench.staging.example.com"
admin_users   = ["admin"]
authenticator = "native"

network = {
  subnet_cidr   = "10.20.0.0/20"
  pods_cidr     = "10.24.0.0/14"
  services_cidr = "10.28.0.0/20"
  master_cidr   = "172.16.0.16/28"
}

master_authorized_networks = [
  { cidr_block = "198.51.100.0/24", display_name = "operators' VPN" },
]

node_pools = {
  core = { machine_type = "e2-standard-4", min_nodes = 1, max_nodes = 3, disk_size_gb = 50, spot = false, purpose = "core" }
  user = { machine_type = "e2-standard-8", min_nodes = 0, max_nodes = 3, disk_size_gb = 100, spot = true, purpose = "user" }
  dask = { machine_type = "e2-standard-8", min_nodes = 0, max_nodes = 3, disk_size_gb = 50, spot = true, purpose = "dask" }
}

database = {
  tier                  = "db-custom-2-7680"
  disk_size_gb          = 20
  disk_limit_gb         = 200
  high_availability     = false
  deletion_protection   = true
  backup_retention_days = 7
  pitr_days             = 3
}

cache = {
  memory_size_gb = 1
  tier           = "BASIC"
}

artifact_location           = "EUROPE-WEST1"
bucket_prefix               = "acme-workbench-staging"
cluster_deletion_protection = true

hub_resources       = { cpu = "250m", memory = "1Gi", memory_limit = "2Gi" }
workbench_resources = { cpu = "500m", memory = "2Gi", memory_limit = "4Gi" }
mlflow_resources    = { replicas = 1, cpu = "250m", memory = "1Gi", memory_limit = "2Gi" }
user_resources      = { cpu_guarantee = 0.5, cpu_limit = 2, memory_guarantee = "1G", memory_limit = "4G", storage = "10Gi" }

user_placeholders    = 0
cull_timeout_seconds = 3600

dask = {
  scheduler_cores         = 1
  scheduler_memory        = "2 G"
  worker_cores            = 1
  worker_memory           = "4 G"
  max_workers_per_cluster = 8
}

notification_emails = ["workbench-staging-alerts@example.com"]
