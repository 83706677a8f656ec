output "url" {
  description = "rediss:// URL of the cache, with its AUTH string: a secret, stored only in Secret Manager."
  value       = "rediss://:${google_redis_instance.cache.auth_string}@${google_redis_instance.cache.host}:${google_redis_instance.cache.port}/0?ssl_ca_certs=/etc/workbench/redis/ca.pem"
  sensitive   = true
}

output "ca_certificate" {
  description = "PEM of the CA that signed the instance's TLS certificate (public)."
  value       = google_redis_instance.cache.server_ca_certs[0].cert
}

output "instance_name" {
  description = "Name of the instance (for alert filters)."
  value       = google_redis_instance.cache.name
}
