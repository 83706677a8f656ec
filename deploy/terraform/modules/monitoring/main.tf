# Alerts on what users feel (API errors and latency, failed and slow executions, providers
# refusing calls) and on what precedes an outage (database CPU and disk, crash-looping hub or
# workbench). The workbench's Prometheus metrics come from Google Managed Prometheus (the
# PodMonitoring in the jupyterhub module); the rest are Cloud Monitoring's own metrics. Audit
# events, written by the workbench as structured JSON log lines, become a log-based metric.

locals {
  ns = var.namespace
  # PromQL over the workbench's metrics (workbench/extensions/metrics.py).
  promql = {
    api_5xx_ratio           = <<-EOT
      sum(rate(workbench_api_requests_total{namespace="${local.ns}",status=~"5.."}[5m]))
        / clamp_min(sum(rate(workbench_api_requests_total{namespace="${local.ns}"}[5m])), 1e-9)
        > ${var.api_5xx_ratio_threshold}
    EOT
    api_p95_latency         = <<-EOT
      histogram_quantile(0.95,
        sum by (le) (rate(workbench_api_request_duration_seconds_bucket{namespace="${local.ns}"}[10m])))
        > ${var.api_p95_latency_seconds_threshold}
    EOT
    execution_failure_ratio = <<-EOT
      sum(increase(workbench_executions_total{namespace="${local.ns}",status="FAILED"}[30m]))
        / clamp_min(sum(increase(workbench_executions_total{namespace="${local.ns}"}[30m])), 1)
        > ${var.execution_failure_ratio_threshold}
    EOT
    execution_p95_duration  = <<-EOT
      histogram_quantile(0.95,
        sum by (le) (rate(workbench_execution_duration_seconds_bucket{namespace="${local.ns}"}[30m])))
        > ${var.execution_p95_duration_seconds_threshold}
    EOT
    provider_error_ratio    = <<-EOT
      sum by (provider) (rate(workbench_provider_calls_total{namespace="${local.ns}",outcome=~"error|rate_limited"}[10m]))
        / clamp_min(sum by (provider) (rate(workbench_provider_calls_total{namespace="${local.ns}"}[10m])), 1e-9)
        > ${var.provider_error_ratio_threshold}
    EOT
  }

  prometheus_alerts = {
    api_5xx_ratio = {
      name     = "API 5xx ratio"
      severity = "CRITICAL"
      duration = "300s"
      doc      = "More than ${var.api_5xx_ratio_threshold * 100}% of REST API responses are server errors. Check the workbench's logs (jsonPayload.request_id) and the database's health; roll back if it started with a release."
    }
    api_p95_latency = {
      name     = "API p95 latency"
      severity = "WARNING"
      duration = "600s"
      doc      = "The 95th percentile of REST API latency is above ${var.api_p95_latency_seconds_threshold} s. Check Cloud SQL CPU and slow queries (Query Insights) and the workbench pod's CPU."
    }
    execution_failure_ratio = {
      name     = "Execution failure ratio"
      severity = "WARNING"
      duration = "600s"
      doc      = "More than ${var.execution_failure_ratio_threshold * 100}% of executions finishing in 30 minutes FAILED. Look at their errors (dashboard or MLflow), provider errors and Dask Gateway."
    }
    execution_p95_duration = {
      name     = "Execution p95 duration"
      severity = "WARNING"
      duration = "900s"
      doc      = "The 95th percentile of execution duration is above ${var.execution_p95_duration_seconds_threshold} s. Check provider latency and 429s, and whether Dask clusters can scale (dask node pool at its maximum?)."
    }
    provider_error_ratio = {
      name     = "LLM provider errors and 429s"
      severity = "WARNING"
      duration = "600s"
      doc      = "More than ${var.provider_error_ratio_threshold * 100}% of calls to a provider failed or were rate limited. Check the provider's status page and the keys' quotas."
    }
  }
}

resource "google_monitoring_notification_channel" "email" {
  for_each = toset(var.notification_emails)

  project      = var.project_id
  display_name = "Workbench ${var.environment}: ${each.value}"
  type         = "email"
  labels = {
    email_address = each.value
  }
}

resource "google_monitoring_alert_policy" "prometheus" {
  for_each = local.prometheus_alerts

  project               = var.project_id
  display_name          = "Workbench ${var.environment}: ${each.value.name}"
  combiner              = "OR"
  severity              = each.value.severity
  notification_channels = [for channel in google_monitoring_notification_channel.email : channel.id]

  conditions {
    display_name = each.value.name
    condition_prometheus_query_language {
      query               = local.promql[each.key]
      duration            = each.value.duration
      evaluation_interval = "60s"
    }
  }

  documentation {
    content   = each.value.doc
    mime_type = "text/markdown"
  }

  alert_strategy {
    auto_close = "1800s"
  }

  user_labels = {
    app         = "workbench"
    environment = var.environment
  }
}

resource "google_monitoring_alert_policy" "cloudsql_cpu" {
  project               = var.project_id
  display_name          = "Workbench ${var.environment}: Cloud SQL CPU"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = [for channel in google_monitoring_notification_channel.email : channel.id]

  conditions {
    display_name = "Cloud SQL CPU above ${var.cloudsql_cpu_threshold * 100}%"
    condition_threshold {
      filter          = "resource.type = \"cloudsql_database\" AND resource.labels.database_id = \"${var.project_id}:${var.database_instance}\" AND metric.type = \"cloudsql.googleapis.com/database/cpu/utilization\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.cloudsql_cpu_threshold
      duration        = "600s"
      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MEAN"
      }
    }
  }

  documentation {
    content   = "The workbench database's CPU has been above ${var.cloudsql_cpu_threshold * 100}% for 10 minutes. Look at Query Insights; raise database_tier if the load is legitimate."
    mime_type = "text/markdown"
  }

  user_labels = {
    app         = "workbench"
    environment = var.environment
  }
}

resource "google_monitoring_alert_policy" "cloudsql_disk" {
  project               = var.project_id
  display_name          = "Workbench ${var.environment}: Cloud SQL storage"
  combiner              = "OR"
  severity              = "CRITICAL"
  notification_channels = [for channel in google_monitoring_notification_channel.email : channel.id]

  conditions {
    display_name = "Cloud SQL disk above ${var.cloudsql_disk_threshold * 100}%"
    condition_threshold {
      filter          = "resource.type = \"cloudsql_database\" AND resource.labels.database_id = \"${var.project_id}:${var.database_instance}\" AND metric.type = \"cloudsql.googleapis.com/database/disk/utilization\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.cloudsql_disk_threshold
      duration        = "300s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }

  documentation {
    content   = "The workbench database's disk is above ${var.cloudsql_disk_threshold * 100}%. Storage grows automatically up to database_disk_limit_gb: raise the limit, or find what grows (executions, audit events, MLflow runs)."
    mime_type = "text/markdown"
  }

  user_labels = {
    app         = "workbench"
    environment = var.environment
  }
}

resource "google_monitoring_alert_policy" "pod_restarts" {
  project               = var.project_id
  display_name          = "Workbench ${var.environment}: hub or workbench restarting"
  combiner              = "OR"
  severity              = "CRITICAL"
  notification_channels = [for channel in google_monitoring_notification_channel.email : channel.id]

  conditions {
    display_name = "More than ${var.pod_restarts_threshold} restarts in 15 minutes"
    condition_threshold {
      filter          = "resource.type = \"k8s_container\" AND resource.labels.namespace_name = \"${local.ns}\" AND resource.labels.container_name = one_of(\"hub\", \"workbench\") AND metric.type = \"kubernetes.io/container/restart_count\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.pod_restarts_threshold
      duration        = "0s"
      aggregations {
        alignment_period     = "900s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.labels.container_name"]
      }
    }
  }

  documentation {
    content   = "The hub or the workbench container keeps restarting. `kubectl -n ${local.ns} logs deploy/<name> --previous` shows why; a schema mismatch means `workbench db upgrade` did not run."
    mime_type = "text/markdown"
  }

  user_labels = {
    app         = "workbench"
    environment = var.environment
  }
}

# Every audit event (workbench/services: logins, key use and reveal, changes) is also a JSON log
# line {"event": "audit", "action": ..., "user_id": ..., "request_id": ...}; counting them by
# action makes unusual activity (many key reveals, mass deletion) visible and alertable.
resource "google_logging_metric" "audit_events" {
  project = var.project_id
  name    = "workbench-${var.environment}-audit-events"
  filter  = "resource.type = \"k8s_container\" AND resource.labels.namespace_name = \"${local.ns}\" AND resource.labels.container_name = \"workbench\" AND jsonPayload.event = \"audit\""

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "Workbench audit events (${var.environment})"

    labels {
      key         = "action"
      value_type  = "STRING"
      description = "What was done, e.g. key.reveal, project.delete"
    }
  }

  label_extractors = {
    action = "EXTRACT(jsonPayload.action)"
  }
}
