variable "project_id" {
  type        = string
  description = "GCP project that holds the secrets."
}

variable "region" {
  type        = string
  description = "Region the secrets' payloads are stored in (user-managed replication)."
}

variable "name" {
  type        = string
  description = "Prefix of the secrets' ids, e.g. \"workbench-prod\"."
}

variable "workbench_service_account" {
  type        = string
  description = "Email of the workbench's service account: reads the master keys and the cache URL."
}

variable "hub_service_account" {
  type        = string
  description = "Email of the hub's service account: reads the OAuth client secret."
}

variable "response_cache_url" {
  type        = string
  description = "rediss:// URL of the response cache, with its AUTH string (from the redis module)."
  sensitive   = true
}
