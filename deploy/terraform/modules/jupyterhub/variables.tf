variable "project_id" {
  type        = string
  description = "GCP project (for the static IP address and secret resource names)."
}

variable "name" {
  type        = string
  description = "Prefix of the Google resources' names, e.g. \"workbench-prod\"."
}

variable "namespace" {
  type        = string
  description = "Kubernetes namespace of the hub, the workbench, MLflow and Dask Gateway."
}

variable "chart_version" {
  type        = string
  description = "Zero to JupyterHub chart version; 4.4.0 runs JupyterHub 5.5, the version the workbench pins."
  default     = "4.4.0"
}

variable "domain" {
  type        = string
  description = "Public host name of the workbench."
}

variable "image_repository" {
  type        = string
  description = "Artifact Registry repository URL the images are pulled from."
}

variable "image_tag" {
  type        = string
  description = "Commit SHA of the release: the tag of both images."
}

variable "admin_users" {
  type        = list(string)
  description = "Hub user names that administer the hub and the workbench."
}

variable "authenticator" {
  type        = string
  description = "\"native\" (sign-up, administrator approval) or \"google\"."
  default     = "native"
}

variable "google_oauth_client_id" {
  type        = string
  description = "OAuth client id when authenticator is google."
  default     = ""
}

variable "google_hosted_domains" {
  type        = list(string)
  description = "Google Workspace domains allowed to log in when authenticator is google."
  default     = []
}

variable "service_accounts" {
  type        = map(string)
  description = "Google service account email of each workload (workbench, hub)."
}

variable "kubernetes_service_accounts" {
  type        = map(string)
  description = "Kubernetes service account name of each workload (workbench, hub)."
}

variable "database_users" {
  type        = map(string)
  description = "Cloud SQL IAM user of each workload (workbench, hub)."
}

variable "cloud_sql_instance" {
  type        = string
  description = "Connection name of the Cloud SQL instance."
}

variable "cloud_sql_proxy_image" {
  type        = string
  description = "Cloud SQL Auth Proxy image with its version tag."
}

variable "secrets" {
  type = object({
    master_keys         = string
    oauth_client_secret = string
    response_cache_url  = string
  })
  description = "Secret Manager resource names (projects/P/secrets/S) the pods mount."
}

variable "redis_ca_certificate" {
  type        = string
  description = "PEM of the CA of the response cache's TLS certificate."
}

variable "mlflow_tracking_uri" {
  type        = string
  description = "In-cluster URL of the MLflow tracking server."
}

variable "dask_gateway_address" {
  type        = string
  description = "In-cluster URL of Dask Gateway (its proxy), for the workbench and the hub's proxy."
}

variable "dask_gateway_proxy_address" {
  type        = string
  description = "gateway:// address of Dask Gateway's scheduler proxy."
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

variable "user_resources" {
  type = object({
    cpu_guarantee    = number
    cpu_limit        = number
    memory_guarantee = string
    memory_limit     = string
    storage          = string
  })
  description = "Each user's pod: CPU guarantee and limit, memory guarantee and limit, home volume size."
}

variable "user_placeholders" {
  type        = number
  description = "Placeholder pods keeping room for users."
  default     = 0
}

variable "cull_timeout_seconds" {
  type        = number
  description = "Idle time after which a user's server is stopped."
  default     = 3600
}
