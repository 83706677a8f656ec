output "address" {
  description = "In-cluster URL of the gateway's API (through its proxy)."
  value       = "http://traefik-dask-gateway.${var.namespace}.svc.cluster.local"
}

output "proxy_address" {
  description = "gateway:// address Dask clients reach their schedulers through."
  value       = "gateway://traefik-dask-gateway.${var.namespace}.svc.cluster.local:80"
}
