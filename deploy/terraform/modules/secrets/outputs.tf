output "master_keys" {
  description = "Resource name of the master keys' secret (projects/P/secrets/S)."
  value       = google_secret_manager_secret.operator_managed["master-keys"].id
}

output "oauth_client_secret" {
  description = "Resource name of the hub's OAuth client secret."
  value       = google_secret_manager_secret.operator_managed["oauth-client-secret"].id
}

output "response_cache_url" {
  description = "Resource name of the response cache URL's secret."
  value       = google_secret_manager_secret.response_cache_url.id
}
