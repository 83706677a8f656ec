output "name" {
  description = "Name of the cluster."
  value       = google_container_cluster.cluster.name
}

output "endpoint" {
  description = "HTTPS endpoint of the control plane (for the kubernetes and helm providers)."
  value       = "https://${google_container_cluster.cluster.endpoint}"
}

output "ca_certificate" {
  description = "Base64-encoded CA certificate of the control plane."
  value       = google_container_cluster.cluster.master_auth[0].cluster_ca_certificate
}

output "workload_pool" {
  description = "Workload Identity pool: Kubernetes service accounts act as Google ones through it."
  value       = google_container_cluster.cluster.workload_identity_config[0].workload_pool
}

output "node_pools" {
  description = "Names of the node pools, so workloads are created after their nodes."
  value       = [for pool in google_container_node_pool.pool : pool.name]
}
