# Inputs of the Zero to JupyterHub values. This module has no provider: it only renders
# deploy/helm/jupyterhub/values.yaml.tftpl, so tests/deploy can render it with Terraform itself
# (offline) and validate the result against the chart's schema.

variable "domain" {
  type        = string
  description = "Public host name of the workbench, e.g. workbench.example.com."
}

variable "hub_image" {
  type        = string
  description = "Hub + workbench image, without tag (REGION-docker.pkg.dev/PROJECT/REPO/workbench)."
}

variable "singleuser_image" {
  type        = string
  description = "Single-user image, without tag."
}

variable "image_tag" {
  type        = string
  description = "Tag of both images: the commit SHA being deployed."

  validation {
    condition     = can(regex("^[0-9a-f]{7,40}$", var.image_tag))
    error_message = "image_tag must be a commit SHA (7-40 lowercase hex digits)."
  }
}

variable "admin_users" {
  type        = list(string)
  description = "Hub user names that are administrators (also the workbench's)."

  validation {
    condition     = length(var.admin_users) > 0
    error_message = "admin_users must name at least one administrator."
  }
}

variable "authenticator" {
  type        = string
  description = "How people log in: \"native\" (sign-up on the hub, approved by an administrator) or \"google\" (Google accounts of google_hosted_domains)."
  default     = "native"

  validation {
    condition     = contains(["native", "google"], var.authenticator)
    error_message = "authenticator must be \"native\" or \"google\"."
  }
}

variable "open_signup" {
  type        = bool
  description = "With the native authenticator, let anyone who signs up in without an administrator's approval."
  default     = false
}

variable "minimum_password_length" {
  type        = number
  description = "With the native authenticator, the shortest password accepted at sign-up."
  default     = 10
}

variable "google_oauth_client_id" {
  type        = string
  description = "With the google authenticator, the OAuth client id (its secret is in Secret Manager)."
  default     = ""
}

variable "google_hosted_domains" {
  type        = list(string)
  description = "With the google authenticator, the Google Workspace domains whose accounts may log in."
  default     = []
}

variable "oauth_provider_class" {
  type        = string
  description = "SecretProviderClass that mounts the OAuth client secret into the hub pod."
  default     = "hub-oauth-client"
}

variable "hub_service_account" {
  type        = string
  description = "Google service account the hub acts as (Workload Identity)."
}

variable "hub_database_url" {
  type        = string
  description = "SQLAlchemy URL of the hub's database through its Cloud SQL Auth Proxy sidecar (no password: IAM login)."
}

variable "cloud_sql_instance" {
  type        = string
  description = "Connection name PROJECT:REGION:INSTANCE of the Cloud SQL instance."
}

variable "cloud_sql_proxy_image" {
  type        = string
  description = "Cloud SQL Auth Proxy image with its version tag."
}

variable "workbench_url" {
  type        = string
  description = "In-cluster URL of the workbench service, where the hub's proxy sends /services/workbench/."
}

variable "dask_gateway_url" {
  type        = string
  description = "In-cluster URL of Dask Gateway's proxy, where the hub's proxy sends /services/dask-gateway/."
}

variable "dask_gateway_proxy_address" {
  type        = string
  description = "gateway:// address notebooks' Dask clients reach their schedulers through."
}

variable "static_ip_name" {
  type        = string
  description = "Name of the global static IP address of the load balancer."
}

variable "managed_certificate_name" {
  type        = string
  description = "Name of the GKE ManagedCertificate for domain."
}

variable "frontend_config_name" {
  type        = string
  description = "Name of the GKE FrontendConfig (HTTPS redirect, TLS policy)."
}

variable "backend_config_name" {
  type        = string
  description = "Name of the GKE BackendConfig of the proxy (health check path, WebSocket timeout)."
}

variable "hub_resources" {
  type = object({
    cpu          = string
    memory       = string
    memory_limit = string
  })
  description = "CPU and memory requests of the hub, and its memory limit."
}

variable "user_resources" {
  type = object({
    cpu_guarantee    = number
    cpu_limit        = number
    memory_guarantee = string
    memory_limit     = string
    storage          = string
  })
  description = "Each user's pod: CPU guarantee and limit (cores), memory guarantee and limit (e.g. 1G), home volume size (e.g. 10Gi)."
}

variable "user_placeholders" {
  type        = number
  description = "Placeholder pods that keep room for users ready (evicted when a real user needs the room)."
  default     = 0
}

variable "cull_timeout_seconds" {
  type        = number
  description = "A user's server idle this long is stopped (jupyterhub-idle-culler)."
  default     = 3600
}
