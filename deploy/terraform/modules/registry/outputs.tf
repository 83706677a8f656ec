output "repository_url" {
  description = "Where images are pushed and pulled: REGION-docker.pkg.dev/PROJECT/REPOSITORY."
  value       = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.images.repository_id}"
}
