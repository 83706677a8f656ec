# State in a private, versioned GCS bucket created once per organisation (deploy/README.md,
# "First deploy"); its name is given at init: terraform init -backend-config="bucket=<bucket>".
terraform {
  backend "gcs" {
    prefix = "workbench/staging"
  }
}
