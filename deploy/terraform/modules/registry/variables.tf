variable "project_id" {
  type        = string
  description = "GCP project that holds the repository."
}

variable "region" {
  type        = string
  description = "Region of the repository (the cluster's, so pulls stay in region)."
}

variable "name" {
  type        = string
  description = "Repository id, e.g. \"workbench\"."
}

variable "reader_service_accounts" {
  type        = list(string)
  description = "Emails that may pull images (the GKE nodes' service account)."
}

variable "writer_members" {
  type        = list(string)
  description = "IAM members that may push images (the deploy workflow's identity), e.g. principalSet://..."
  default     = []
}

variable "untagged_retention_days" {
  type        = number
  description = "Days an untagged image is kept before it is removed."
  default     = 14
}
