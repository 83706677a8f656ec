output "connection_name" {
  description = "PROJECT:REGION:INSTANCE, what the Cloud SQL Auth Proxy connects to."
  value       = google_sql_database_instance.postgres.connection_name
}

output "private_ip" {
  description = "Private IP address of the instance."
  value       = google_sql_database_instance.postgres.private_ip_address
}

output "instance_name" {
  description = "Name of the instance (for alert filters and restores)."
  value       = google_sql_database_instance.postgres.name
}

output "databases" {
  description = "Names of the databases."
  value       = [for database in google_sql_database.database : database.name]
}
