output "network_id" {
  description = "Self link of the VPC."
  value       = google_compute_network.vpc.id
}

output "network_name" {
  description = "Name of the VPC."
  value       = google_compute_network.vpc.name
}

output "subnet_id" {
  description = "Self link of the cluster's subnet."
  value       = google_compute_subnetwork.cluster.id
}

output "pods_range_name" {
  description = "Name of the pods' secondary range."
  value       = "pods"
}

output "services_range_name" {
  description = "Name of the services' secondary range."
  value       = "services"
}

output "private_services_connection" {
  description = "The private services access peering; Cloud SQL and Memorystore depend on it."
  value       = google_service_networking_connection.private_services.id
}
