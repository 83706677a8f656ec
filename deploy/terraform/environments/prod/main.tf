# One environment of the workbench: the same modules, in the same arrangement, for dev, staging
# and prod (this file is identical in each; tests/deploy checks it). Sizes come from
# terraform.tfvars.

locals {
  name     = "workbench-${var.environment}"
  short    = "wb-${var.environment}"
  registry = module.registry.repository_url
}

module "network" {
  source = "../../modules/network"

  project_id    = var.project_id
  region        = var.region
  name          = local.name
  subnet_cidr   = var.network.subnet_cidr
  pods_cidr     = var.network.pods_cidr
  services_cidr = var.network.services_cidr
}

module "identity" {
  source = "../../modules/identity"

  project_id    = var.project_id
  name          = local.short
  namespace     = local.name
  workload_pool = module.gke.workload_pool
}

module "gke" {
  source = "../../modules/gke"

  project_id                 = var.project_id
  region                     = var.region
  name                       = local.name
  network_id                 = module.network.network_id
  subnet_id                  = module.network.subnet_id
  pods_range_name            = module.network.pods_range_name
  services_range_name        = module.network.services_range_name
  master_cidr                = var.network.master_cidr
  master_authorized_networks = var.master_authorized_networks
  deletion_protection        = var.cluster_deletion_protection
  node_pools                 = var.node_pools
  node_service_account       = module.identity.node_service_account
}

module "registry" {
  source = "../../modules/registry"

  project_id              = var.project_id
  region                  = var.region
  name                    = "workbench"
  reader_service_accounts = [module.identity.node_service_account]
  writer_members          = var.image_pushers
}

module "database" {
  source = "../../modules/database"

  project_id                  = var.project_id
  region                      = var.region
  name                        = local.name
  network_id                  = module.network.network_id
  private_services_connection = module.network.private_services_connection
  tier                        = var.database.tier
  disk_size_gb                = var.database.disk_size_gb
  disk_autoresize_limit_gb    = var.database.disk_limit_gb
  high_availability           = var.database.high_availability
  deletion_protection         = var.database.deletion_protection
  backup_retention_days       = var.database.backup_retention_days
  point_in_time_recovery_days = var.database.pitr_days
  iam_users                   = module.identity.database_users
}

module "redis" {
  source = "../../modules/redis"

  project_id                  = var.project_id
  region                      = var.region
  name                        = local.name
  network_id                  = module.network.network_id
  private_services_connection = module.network.private_services_connection
  memory_size_gb              = var.cache.memory_size_gb
  tier                        = var.cache.tier
}

module "storage" {
  source = "../../modules/storage"

  project_id             = var.project_id
  location               = var.artifact_location
  name                   = var.bucket_prefix
  force_destroy          = var.environment == "dev"
  writer_service_account = module.identity.emails["mlflow"]
}

module "secrets" {
  source = "../../modules/secrets"

  project_id                = var.project_id
  region                    = var.region
  name                      = local.name
  workbench_service_account = module.identity.emails["workbench"]
  hub_service_account       = module.identity.emails["hub"]
  response_cache_url        = module.redis.url
}

module "mlflow" {
  source = "../../modules/mlflow"

  namespace                  = module.jupyterhub.namespace
  image                      = "${local.registry}/workbench"
  image_tag                  = var.image_tag
  service_account            = module.identity.emails["mlflow"]
  kubernetes_service_account = module.identity.kubernetes_service_accounts["mlflow"]
  database_user              = module.identity.database_users["mlflow"]
  cloud_sql_instance         = module.database.connection_name
  cloud_sql_proxy_image      = var.cloud_sql_proxy_image
  artifact_root              = module.storage.artifact_root
  replicas                   = var.mlflow_resources.replicas
  resources = {
    cpu          = var.mlflow_resources.cpu
    memory       = var.mlflow_resources.memory
    memory_limit = var.mlflow_resources.memory_limit
  }
}

module "dask_gateway" {
  source = "../../modules/dask-gateway"

  namespace               = module.jupyterhub.namespace
  image                   = "${local.registry}/workbench"
  image_tag               = var.image_tag
  max_workers_per_cluster = var.dask.max_workers_per_cluster
  scheduler = {
    cores  = var.dask.scheduler_cores
    memory = var.dask.scheduler_memory
  }
  worker = {
    cores  = var.dask.worker_cores
    memory = var.dask.worker_memory
  }
}

module "jupyterhub" {
  source = "../../modules/jupyterhub"

  project_id                  = var.project_id
  name                        = local.name
  namespace                   = local.name
  domain                      = var.domain
  image_repository            = local.registry
  image_tag                   = var.image_tag
  admin_users                 = var.admin_users
  authenticator               = var.authenticator
  google_oauth_client_id      = var.google_oauth_client_id
  google_hosted_domains       = var.google_hosted_domains
  service_accounts            = module.identity.emails
  kubernetes_service_accounts = module.identity.kubernetes_service_accounts
  database_users              = module.identity.database_users
  cloud_sql_instance          = module.database.connection_name
  cloud_sql_proxy_image       = var.cloud_sql_proxy_image
  redis_ca_certificate        = module.redis.ca_certificate
  mlflow_tracking_uri         = "http://mlflow.${local.name}.svc.cluster.local:5000"
  dask_gateway_address        = "http://traefik-dask-gateway.${local.name}.svc.cluster.local"
  dask_gateway_proxy_address  = "gateway://traefik-dask-gateway.${local.name}.svc.cluster.local:80"
  hub_resources               = var.hub_resources
  workbench_resources         = var.workbench_resources
  user_resources              = var.user_resources
  user_placeholders           = var.user_placeholders
  cull_timeout_seconds        = var.cull_timeout_seconds
  secrets = {
    master_keys         = module.secrets.master_keys
    oauth_client_secret = module.secrets.oauth_client_secret
    response_cache_url  = module.secrets.response_cache_url
  }

  depends_on = [module.gke]
}

module "monitoring" {
  source = "../../modules/monitoring"

  project_id                               = var.project_id
  environment                              = var.environment
  namespace                                = local.name
  database_instance                        = module.database.instance_name
  notification_emails                      = var.notification_emails
  api_5xx_ratio_threshold                  = var.alert_thresholds.api_5xx_ratio
  api_p95_latency_seconds_threshold        = var.alert_thresholds.api_p95_latency_seconds
  execution_failure_ratio_threshold        = var.alert_thresholds.execution_failure_ratio
  execution_p95_duration_seconds_threshold = var.alert_thresholds.execution_p95_duration_seconds
  provider_error_ratio_threshold           = var.alert_thresholds.provider_error_ratio
  cloudsql_cpu_threshold                   = var.alert_thresholds.cloudsql_cpu
  cloudsql_disk_threshold                  = var.alert_thresholds.cloudsql_disk
  pod_restarts_threshold                   = var.alert_thresholds.pod_restarts
}
