variable "project_id" {
  type        = string
  description = "GCP project that holds the environment."
}

variable "region" {
  type        = string
  description = "Region of the subnet, the Cloud Router and its NAT."
}

variable "name" {
  type        = string
  description = "Prefix of every resource's name, e.g. \"workbench-prod\"."
}

variable "subnet_cidr" {
  type        = string
  description = "Primary range of the cluster's subnet (nodes)."
}

variable "pods_cidr" {
  type        = string
  description = "Secondary range for pod IPs (VPC-native cluster)."
}

variable "services_cidr" {
  type        = string
  description = "Secondary range for Kubernetes service IPs."
}

variable "private_services_prefix_length" {
  type        = number
  description = "Prefix length of the range reserved for private services access (Cloud SQL, Memorystore)."
  default     = 20
}
