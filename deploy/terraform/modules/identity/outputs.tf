output "node_service_account" {
  description = "Email of the nodes' service account."
  value       = google_service_account.nodes.email
}

output "emails" {
  description = "Email of each workload's Google service account: workbench, hub, mlflow."
  value       = { for name, account in google_service_account.workload : name => account.email }
}

output "kubernetes_service_accounts" {
  description = "Name of the Kubernetes service account each workload runs as."
  value       = { for name, workload in local.workloads : name => workload.ksa }
}

output "database_users" {
  description = "Cloud SQL IAM user of each workload (its email without .gserviceaccount.com)."
  value = {
    for name, account in google_service_account.workload :
    name => trimsuffix(account.email, ".gserviceaccount.com")
  }
}
