# The environment's settings. Every environment (dev, staging, prod) declares the same
# variables and instantiates the same modules (main.tf is identical); only terraform.tfvars and
# the state prefix in backend.tf differ. No secret value is set here or in a .tfvars file.

variable "project_id" {
  type        = string
  description = "GCP project of this environment."
}

variable "region" {
  type        = string
  description = "Region of the cluster, the database, the cache and the images."
}

variable "environment" {
  type        = string
  description = "Environment name: dev, staging or prod."

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

variable "domain" {
  type        = string
  description = "Public host name of the workbench (its DNS A record points at the output public_ip)."
}

variable "image_tag" {
  type        = string
  description = "Commit SHA of the release to run: the tag of the workbench and single-user images. Set by the deploy workflow."
}

variable "admin_users" {
  type        = list(string)
  description = "Hub user names that administer the hub and the workbench."
}

variable "authenticator" {
  type        = string
  description = "How people log in: \"native\" (sign-up approved by an administrator) or \"google\"."
  default     = "native"
}

variable "google_oauth_client_id" {
  type        = string
  description = "OAuth client id when authenticator is google (its secret goes to Secret Manager)."
  default     = ""
}

variable "google_hosted_domains" {
  type        = list(string)
  description = "Google Workspace domains allowed to log in when authenticator is google."
  default     = []
}

variable "network" {
  type = object({
    subnet_cidr   = string
    pods_cidr     = string
    services_cidr = string
    master_cidr   = string
  })
  description = "Address ranges: nodes, pods, services and the control plane's /28."
}

variable "master_authorized_networks" {
  type = list(object({
    cidr_block   = string
    display_name = string
  }))
  description = "Networks allowed to reach the Kubernetes API (deploy runners, operators). Never 0.0.0.0/0."
  default     = []
}

variable "node_pools" {
  type = map(object({
    machine_type = string
    min_nodes    = number
    max_nodes    = number
    disk_size_gb = number
    spot         = bool
    purpose      = string
  }))
  description = "Autoscaled node pools: purpose core (hub, workbench, MLflow), user (notebooks) or dask (Dask clusters); node counts per zone."
}

variable "database" {
  type = object({
    tier                  = string
    disk_size_gb          = number
    disk_limit_gb         = number
    high_availability     = bool
    deletion_protection   = bool
    backup_retention_days = number
    pitr_days             = number
  })
  description = "Cloud SQL: machine tier, disk size and growth limit, REGIONAL availability, deletion protection, backups kept, days of point-in-time recovery."
}

variable "cache" {
  type = object({
    memory_size_gb = number
    tier           = string
  })
  description = "Memorystore response cache: memory and tier (BASIC or STANDARD_HA)."
}

variable "artifact_location" {
  type        = string
  description = "Location of the MLflow artifact bucket (a region or multi-region)."
}

variable "bucket_prefix" {
  type        = string
  description = "Globally unique prefix of bucket names, e.g. \"acme-workbench-prod\"."
}

variable "cluster_deletion_protection" {
  type        = bool
  description = "Refuse to destroy the GKE cluster through Terraform."
}

variable "hub_resources" {
  type = object({
    cpu          = string
    memory       = string
    memory_limit = string
  })
  description = "The hub pod's CPU and memory requests and memory limit."
}

variable "workbench_resources" {
  type = object({
    cpu          = string
    memory       = string
    memory_limit = string
  })
  description = "The workbench pod's CPU and memory requests and memory limit."
}

variable "mlflow_resources" {
  type = object({
    replicas     = number
    cpu          = string
    memory       = string
    memory_limit = string
  })
  description = "MLflow tracking server replicas, and each one's CPU and memory requests and memory limit."
}

variable "user_resources" {
  type = object({
    cpu_guarantee    = number
    cpu_limit        = number
    memory_guarantee = string
    memory_limit     = string
    storage          = string
  })
  description = "Each user's notebook pod: CPU guarantee and limit, memory guarantee and limit, home volume size."
}

variable "user_placeholders" {
  type        = number
  description = "Placeholder pods keeping room for users who log in (0: none)."
  default     = 0
}

variable "cull_timeout_seconds" {
  type        = number
  description = "A user's notebook server idle this long is stopped."
  default     = 3600
}

variable "dask" {
  type = object({
    scheduler_cores         = number
    scheduler_memory        = string
    worker_cores            = number
    worker_memory           = string
    max_workers_per_cluster = number
  })
  description = "Dask Gateway clusters: scheduler and worker sizes, and the most workers one cluster may have."
}

variable "notification_emails" {
  type        = list(string)
  description = "Who is told when an alert fires."
}

variable "alert_thresholds" {
  type = object({
    api_5xx_ratio                  = optional(number, 0.02)
    api_p95_latency_seconds        = optional(number, 1.5)
    execution_failure_ratio        = optional(number, 0.2)
    execution_p95_duration_seconds = optional(number, 600)
    provider_error_ratio           = optional(number, 0.1)
    cloudsql_cpu                   = optional(number, 0.8)
    cloudsql_disk                  = optional(number, 0.85)
    pod_restarts                   = optional(number, 2)
  })
  description = "Alert thresholds (see deploy/README.md, \"Monitoring\"); each has a default."
  default     = {}
}

variable "image_pushers" {
  type        = list(string)
  description = "IAM members allowed to push images: the deploy workflow's Workload Identity Federation principal."
  default     = []
}

variable "cloud_sql_proxy_image" {
  type        = string
  description = "Cloud SQL Auth Proxy image with its version tag."
  default     = "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.15.2"
}
