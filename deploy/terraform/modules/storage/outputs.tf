output "artifact_root" {
  description = "gs:// URI where the MLflow tracking server keeps artifacts."
  value       = "gs://${google_storage_bucket.artifacts.name}/mlflow"
}

output "artifact_bucket" {
  description = "Name of the artifact bucket."
  value       = google_storage_bucket.artifacts.name
}
