# The two commands: `make run` builds and starts Velocity with the demo workspace;
# `make test` runs every test (SQLite always; PostgreSQL when reachable, and always under CI=true).

VELOCITY_TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
export VELOCITY_TEST_DATABASE_URL

.PHONY: run test lint openapi

run:
	cargo run --release -p velocity-cli -- serve --demo

# cargo-nextest runs each test in its own process (faster, isolated); plain cargo test also works.
test:
	@if cargo nextest --version >/dev/null 2>&1; then \
		cargo nextest run --workspace --no-fail-fast; \
	else \
		echo "cargo-nextest not found; using cargo test"; cargo test --workspace --no-fail-fast; \
	fi

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

# The web app's typed API client is generated from this copy of the server's OpenAPI document.
openapi:
	cargo run -q -p velocity-cli -- openapi > web/openapi.json
