output "tracking_uri" {
  description = "In-cluster URL of the tracking server (WORKBENCH_MLFLOW_TRACKING_URI)."
  value       = "http://${local.host}:${local.port}"
}
