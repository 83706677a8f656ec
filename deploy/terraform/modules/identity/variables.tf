variable "project_id" {
  type        = string
  description = "GCP project that holds the service accounts."
}

variable "name" {
  type        = string
  description = "Prefix of the service accounts' ids (at most 16 characters), e.g. \"wb-prod\"."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,15}$", var.name))
    error_message = "name must be 1-16 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "namespace" {
  type        = string
  description = "Kubernetes namespace of the workbench's workloads."
}

variable "workload_pool" {
  type        = string
  description = "The cluster's Workload Identity pool (PROJECT.svc.id.goog)."
}
