variable "project_id" {
  type        = string
  description = "GCP project that holds the buckets."
}

variable "location" {
  type        = string
  description = "Location of the buckets (a region, or a multi-region such as EU)."
}

variable "name" {
  type        = string
  description = "Prefix of the buckets' globally unique names, e.g. \"acme-workbench-prod\"."
}

variable "force_destroy" {
  type        = bool
  description = "Let Terraform delete the artifact bucket with its objects (dev only)."
  default     = false
}

variable "noncurrent_version_days" {
  type        = number
  description = "Days an overwritten or deleted artifact version is kept before it is removed."
  default     = 30
}

variable "writer_service_account" {
  type        = string
  description = "Email of the service account that reads and writes artifacts (the MLflow tracking server)."
}
