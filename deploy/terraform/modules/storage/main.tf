# MLflow's artifact store: a private bucket (uniform access, public access prevention enforced,
# versioned) that only the MLflow tracking server's service account may read and write; the
# workbench and notebooks reach artifacts through the tracking server. Access is logged to a
# second bucket.

resource "google_storage_bucket" "access_logs" {
  project                     = var.project_id
  name                        = "${var.name}-access-logs"
  location                    = var.location
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      age = 365
    }
    action {
      type = "Delete"
    }
  }

  labels = {
    app = "workbench"
  }
}

resource "google_storage_bucket" "artifacts" {
  project                     = var.project_id
  name                        = "${var.name}-mlflow-artifacts"
  location                    = var.location
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = var.noncurrent_version_days
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  logging {
    log_bucket = google_storage_bucket.access_logs.name
  }

  labels = {
    app = "workbench"
  }
}

resource "google_storage_bucket_iam_member" "artifact_writer" {
  bucket = google_storage_bucket.artifacts.name
  role   = "roles/storage.objectUser"
  member = "serviceAccount:${var.writer_service_account}"
}
