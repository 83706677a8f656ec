output "public_ip" {
  description = "The load balancer's address: the domain's DNS A record points here."
  value       = module.jupyterhub.public_ip
}

output "cluster" {
  description = "GKE cluster name (gcloud container clusters get-credentials)."
  value       = module.gke.name
}

output "namespace" {
  description = "Kubernetes namespace of the workbench's workloads."
  value       = module.jupyterhub.namespace
}

output "image_repository" {
  description = "Artifact Registry repository the images are pushed to."
  value       = module.registry.repository_url
}

output "database_instance" {
  description = "Cloud SQL instance name (backups, restores)."
  value       = module.database.instance_name
}

output "master_keys_secret" {
  description = "Secret Manager secret holding WORKBENCH_SECRET_KEYS (add versions with gcloud)."
  value       = module.secrets.master_keys
}

output "alert_policies" {
  description = "Alert policies created."
  value       = module.monitoring.alert_policies
}
