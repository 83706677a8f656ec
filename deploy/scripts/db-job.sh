#!/usr/bin/env bash
# Run a `workbench` command (a migration, `db current`, `keys rotate`) once, in the cluster, as
# a Kubernetes Job built from the workbench Deployment's own pod template: same service
# account, Cloud SQL Auth Proxy sidecar, settings and mounted secrets, with the image given.
# Prints the command's output; exits with its status.
#
#   deploy/scripts/db-job.sh NAMESPACE IMAGE workbench db upgrade
#   deploy/scripts/db-job.sh workbench-prod REGION-docker.pkg.dev/P/workbench/workbench:SHA \
#       workbench db downgrade 0002
#
# Needs kubectl (with credentials for the cluster) and jq.
set -euo pipefail

if [[ $# -lt 3 ]]; then
    echo "usage: $0 NAMESPACE IMAGE COMMAND [ARGS...]" >&2
    exit 2
fi
namespace=$1
image=$2
shift 2
command_json=$(jq --compact-output --null-input '$ARGS.positional' --args -- "$@")
job="workbench-$(date +%Y%m%d%H%M%S)-$RANDOM"
timeout_s=${DB_JOB_TIMEOUT_S:-1800}

if ! deployment=$(kubectl --namespace "$namespace" get deployment workbench --output json); then
    echo "db-job: no workbench Deployment in namespace $namespace (first deploy? see deploy/README.md)" >&2
    exit 1
fi

jq --arg name "$job" --arg image "$image" --argjson command "$command_json" \
    --argjson deadline "$timeout_s" '
    {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: {
        name: $name,
        namespace: .metadata.namespace,
        labels: {"app.kubernetes.io/part-of": "workbench", "app.kubernetes.io/component": "job"}
      },
      spec: {
        backoffLimit: 0,
        activeDeadlineSeconds: $deadline,
        ttlSecondsAfterFinished: 604800,
        template: {
          metadata: {
            labels: {"app.kubernetes.io/part-of": "workbench", "app.kubernetes.io/component": "job"}
          },
          spec: (
            .spec.template.spec
            | .restartPolicy = "Never"
            | .containers |= map(
                if .name == "workbench"
                then .image = $image | .args = $command | del(.readinessProbe, .livenessProbe, .ports)
                else . end)
          )
        }
      }
    }' <<<"$deployment" | kubectl apply --filename -

echo "db-job: $job runs: $*" >&2
deadline=$((SECONDS + timeout_s + 60))
while true; do
    status=$(kubectl --namespace "$namespace" get job "$job" \
        --output jsonpath='{.status.succeeded}/{.status.failed}')
    case $status in
        1/*) result=0; break ;;
        */1) result=1; break ;;
    esac
    if ((SECONDS > deadline)); then
        echo "db-job: $job did not finish within ${timeout_s}s" >&2
        result=1
        break
    fi
    sleep 5
done

kubectl --namespace "$namespace" logs "job/$job" --container workbench || true
exit "$result"
