# The two commands: `make run` builds and starts Velocity with the demo workspace;
# `make test` runs every test (SQLite always; PostgreSQL when reachable, and always under CI=true).

VELOCITY_TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
export VELOCITY_TEST_DATABASE_URL

WEB_SOURCES := $(shell find web/src web/public -type f -not -name '*.gen.ts' 2>/dev/null) web/index.html web/openapi.json web/vite.config.ts web/tsconfig.json

.PHONY: run test test-rust test-web lint openapi web

run: web
	cargo run --release -p velocity-cli -- serve --demo

test: web test-rust test-web

# cargo-nextest runs each test in its own process (faster, isolated); plain cargo test also works.
test-rust:
	@if cargo nextest --version >/dev/null 2>&1; then \
		cargo nextest run --workspace --no-fail-fast; \
	else \
		echo "cargo-nextest not found; using cargo test"; cargo test --workspace --no-fail-fast; \
	fi

# Component tests, then end-to-end tests in headless Chromium against the real server.
test-web: web
	cargo build -p velocity-cli
	cd web && npm test
	cd web && npm run e2e

# The web app, built into web/dist (the server serves it; release builds embed it).
web: web/dist/index.html

web/node_modules/.package-lock.json: web/package-lock.json web/package.json
	cd web && npm ci --no-audit --no-fund

web/dist/index.html: web/node_modules/.package-lock.json $(WEB_SOURCES)
	cd web && npm run build

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

# The web app's typed API client is generated from this copy of the server's OpenAPI document.
openapi:
	cargo run -q -p velocity-cli -- openapi > web/openapi.json
