output "alert_policies" {
  description = "Display names of the alert policies."
  value = concat(
    [for policy in google_monitoring_alert_policy.prometheus : policy.display_name],
    [
      google_monitoring_alert_policy.cloudsql_cpu.display_name,
      google_monitoring_alert_policy.cloudsql_disk.display_name,
      google_monitoring_alert_policy.pod_restarts.display_name,
    ],
  )
}

output "audit_metric" {
  description = "Type of the audit events' log-based metric."
  value       = "logging.googleapis.com/user/${google_logging_metric.audit_events.name}"
}
