# Sandbox container image for the exec/file tools. Keep the tag equal to the
# @cloudflare/sandbox version in package.json.
FROM docker.io/cloudflare/sandbox:0.12.10
