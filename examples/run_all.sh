#!/usr/bin/env bash
# Runs every example in examples/*.rs (except bench_server) offline, against the local
# replay server: every *_API_KEY variable and the service URL variables are unset.
# Exits non-zero if any example fails; prints a summary either way. Every example is
# built with --all-features (the anthropic, gemini, vertexai, bedrock and cohere examples
# require their features) and the `test` profile: the binaries `cargo test --workspace
# --all-features` already built, so nothing is compiled or linked twice.
#
#   examples/run_all.sh
set -euo pipefail
cd "$(dirname "$0")/.."

while read -r name; do
    unset "$name"
done < <(compgen -e | grep -E '_API_KEY$' || true)
unset OPENAI_BASE_URL OPENAI_ORG_ID OPENAI_PROJECT_ID WORKFLOWAI_API_URL WORKFLOWAI_BASE_URL \
    OPENROUTER_BASE_URL OLLAMA_BASE_URL LLAMACPP_BASE_URL LITELLM_BASE_URL VERTEX_ACCESS_TOKEN \
    AZURE_OPENAI_ENDPOINT AZURE_OPENAI_DEPLOYMENT OPENAI_API_VERSION \
    ANTHROPIC_BASE_URL ANTHROPIC_MODEL GEMINI_BASE_URL GEMINI_MODEL \
    GOOGLE_CLOUD_PROJECT GOOGLE_APPLICATION_CREDENTIALS GOOGLE_CLOUD_LOCATION GOOGLE_VERTEX_BASE_URL \
    AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_REGION AWS_DEFAULT_REGION \
    AWS_ENDPOINT_URL AWS_ENDPOINT_URL_BEDROCK_RUNTIME BEDROCK_MODEL CO_API_URL COHERE_MODEL \
    AWS_WEB_IDENTITY_TOKEN_FILE AWS_ROLE_ARN AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \
    AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_CONTAINER_AUTHORIZATION_TOKEN

passed=()
failed=()
for file in examples/*.rs; do
    name="$(basename "$file" .rs)"
    [[ "$name" == bench_server ]] && continue
    echo "=== $name"
    if cargo run --quiet --profile test --all-features --example "$name"; then
        passed+=("$name")
    else
        failed+=("$name")
        echo "!!! $name failed"
    fi
    echo
done

echo "passed (${#passed[@]}): ${passed[*]}"
if ((${#failed[@]} > 0)); then
    echo "FAILED (${#failed[@]}): ${failed[*]}"
    exit 1
fi
echo "all ${#passed[@]} examples ran offline"
