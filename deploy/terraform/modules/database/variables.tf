variable "project_id" {
  type        = string
  description = "GCP project that holds the instance."
}

variable "region" {
  type        = string
  description = "Region of the instance."
}

variable "name" {
  type        = string
  description = "Name of the Cloud SQL instance, e.g. \"workbench-prod\"."
}

variable "network_id" {
  type        = string
  description = "VPC the instance gets its private IP in."
}

variable "private_services_connection" {
  type        = string
  description = "Private services access peering the instance depends on."
}

variable "tier" {
  type        = string
  description = "Machine tier, e.g. db-custom-2-7680."
}

variable "disk_size_gb" {
  type        = number
  description = "Initial disk size; storage grows automatically up to disk_autoresize_limit_gb."
}

variable "disk_autoresize_limit_gb" {
  type        = number
  description = "Largest size automatic storage growth may reach (0: no limit)."
  default     = 0
}

variable "high_availability" {
  type        = bool
  description = "REGIONAL availability (a standby in another zone, automatic failover) instead of ZONAL."
}

variable "deletion_protection" {
  type        = bool
  description = "Refuse to delete the instance, through Terraform and through the Cloud SQL API."
}

variable "backup_retention_days" {
  type        = number
  description = "How many daily automated backups are kept."
  default     = 7

  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 365
    error_message = "backup_retention_days must be between 1 and 365."
  }
}

variable "point_in_time_recovery_days" {
  type        = number
  description = "Days of write-ahead log kept for point-in-time recovery (1-7)."
  default     = 7

  validation {
    condition     = var.point_in_time_recovery_days >= 1 && var.point_in_time_recovery_days <= 7
    error_message = "point_in_time_recovery_days must be between 1 and 7."
  }
}

variable "databases" {
  type        = list(string)
  description = "Databases to create: the workbench's, MLflow's, JupyterHub's."
  default     = ["workbench", "mlflow", "jupyterhub"]
}

variable "iam_users" {
  type        = map(string)
  description = "Cloud SQL IAM database users by workload (service account email without .gserviceaccount.com)."
}
