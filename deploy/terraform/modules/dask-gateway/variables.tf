variable "namespace" {
  type        = string
  description = "Kubernetes namespace (the hub's: Dask Gateway authenticates users with it)."
}

variable "chart_version" {
  type        = string
  description = "dask-gateway chart version; keep it equal to the dask-gateway client locked in deploy/docker/lock.txt."
  default     = "2026.3.0"
}

variable "image" {
  type        = string
  description = "Image of schedulers and workers, without tag: the workbench image, so workers run the same agents code."
}

variable "image_tag" {
  type        = string
  description = "Tag of the image (the release's commit SHA)."
}

variable "scheduler" {
  type = object({
    cores  = number
    memory = string
  })
  description = "CPU cores and memory (e.g. \"2 G\") of each cluster's scheduler."
}

variable "worker" {
  type = object({
    cores  = number
    memory = string
  })
  description = "CPU cores and memory of each Dask worker."
}

variable "max_workers_per_cluster" {
  type        = number
  description = "Most workers one Dask cluster may scale to (adaptive scaling stops there)."
}

variable "idle_timeout_seconds" {
  type        = number
  description = "A cluster with no client connected this long is shut down."
  default     = 1800
}

variable "workbench_worker_threads" {
  type        = number
  description = "Threads of each worker of the workbench service's cluster: how many agent steps (waiting on LLM providers) one worker runs at once."
  default     = 32
}
