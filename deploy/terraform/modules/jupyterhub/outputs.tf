output "namespace" {
  description = "Namespace of the workbench's workloads."
  value       = kubernetes_namespace_v1.workbench.metadata[0].name
}

output "public_ip" {
  description = "The load balancer's address: point the domain's A record at it."
  value       = google_compute_global_address.hub.address
}

output "workbench_url" {
  description = "In-cluster URL of the workbench service."
  value       = local.workbench_url
}

output "chart_version" {
  description = "The Zero to JupyterHub chart version deployed."
  value       = helm_release.jupyterhub.version
}
