#!/bin/sh
# Entry point of the workbench images: turn every WORKBENCH_<NAME>_FILE variable into
# WORKBENCH_<NAME> holding that file's content, then run the command.
#
# Secrets reach pods as files (the GKE Secret Manager add-on mounts them), while the workbench
# reads its settings from WORKBENCH_* variables; this keeps secrets out of the pod spec and out
# of `kubectl describe`. A *_FILE variable whose file is missing stops the container with a
# message naming the variable, rather than starting without the secret.
set -eu

for assignment in $(env | grep -o '^WORKBENCH_[A-Z0-9_]*_FILE=' || true); do
    file_var=${assignment%=}
    target_var=${file_var%_FILE}
    path=""
    eval "path=\${$file_var}"
    if [ ! -r "$path" ]; then
        echo "workbench-entrypoint: $file_var names $path, which cannot be read" >&2
        exit 64
    fi
    value=$(cat "$path")
    export "$target_var=$value"
    unset "$file_var"
done

exec "$@"
