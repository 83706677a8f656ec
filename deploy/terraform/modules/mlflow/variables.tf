variable "namespace" {
  type        = string
  description = "Kubernetes namespace of the tracking server."
}

variable "image" {
  type        = string
  description = "Image with MLflow installed, without tag: the workbench image, so client and server versions agree."
}

variable "image_tag" {
  type        = string
  description = "Tag of the image (the release's commit SHA)."
}

variable "service_account" {
  type        = string
  description = "Google service account the server acts as (artifact bucket, Cloud SQL)."
}

variable "kubernetes_service_account" {
  type        = string
  description = "Name of the Kubernetes service account bound to service_account."
}

variable "database_user" {
  type        = string
  description = "Cloud SQL IAM user of the server."
}

variable "database_name" {
  type        = string
  description = "Database holding MLflow's tracking store."
  default     = "mlflow"
}

variable "cloud_sql_instance" {
  type        = string
  description = "Connection name of the Cloud SQL instance."
}

variable "cloud_sql_proxy_image" {
  type        = string
  description = "Cloud SQL Auth Proxy image with its version tag."
}

variable "artifact_root" {
  type        = string
  description = "gs:// URI where the server stores artifacts (it serves them to clients itself)."
}

variable "replicas" {
  type        = number
  description = "Tracking server replicas (stateless; more for availability)."
  default     = 1
}

variable "resources" {
  type = object({
    cpu          = string
    memory       = string
    memory_limit = string
  })
  description = "CPU and memory requests, and memory limit, of each replica."
}
