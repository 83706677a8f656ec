variable "project_id" {
  type        = string
  description = "GCP project whose Cloud Monitoring holds the alerts."
}

variable "environment" {
  type        = string
  description = "Environment name shown in every alert (dev, staging, prod)."
}

variable "namespace" {
  type        = string
  description = "Kubernetes namespace of the workbench's workloads (metric and log filters)."
}

variable "database_instance" {
  type        = string
  description = "Cloud SQL instance name (PROJECT:INSTANCE database_id filters)."
}

variable "notification_emails" {
  type        = list(string)
  description = "Who is told when an alert fires: one email notification channel each."
}

variable "api_5xx_ratio_threshold" {
  type        = number
  description = "Alert when this share of REST API responses over 5 minutes are 5xx (0-1)."
  default     = 0.02
}

variable "api_p95_latency_seconds_threshold" {
  type        = number
  description = "Alert when the 95th percentile of REST API latency over 10 minutes exceeds this many seconds."
  default     = 1.5
}

variable "execution_failure_ratio_threshold" {
  type        = number
  description = "Alert when this share of executions finishing over 30 minutes ended FAILED (0-1)."
  default     = 0.2
}

variable "execution_p95_duration_seconds_threshold" {
  type        = number
  description = "Alert when the 95th percentile of execution duration over 30 minutes exceeds this many seconds."
  default     = 600
}

variable "provider_error_ratio_threshold" {
  type        = number
  description = "Alert when this share of LLM provider calls over 10 minutes failed or were rate limited (429)."
  default     = 0.1
}

variable "cloudsql_cpu_threshold" {
  type        = number
  description = "Alert when Cloud SQL CPU utilisation stays above this (0-1) for 10 minutes."
  default     = 0.8
}

variable "cloudsql_disk_threshold" {
  type        = number
  description = "Alert when Cloud SQL disk utilisation exceeds this (0-1); automatic growth may be at its limit."
  default     = 0.85
}

variable "pod_restarts_threshold" {
  type        = number
  description = "Alert when the hub's or the workbench's containers restart more than this many times in 15 minutes."
  default     = 2
}
