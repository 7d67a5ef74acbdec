# Entry points. Each installs what it needs, idempotently (scripts/deps.sh).
.PHONY: pkg test demo size bench

pkg:   ## build the npm package into pkg/ and print its gzip -9 size
	bash scripts/build-pkg.sh

test:  ## every test: native, browsers (Chromium, Firefox), end to end
	bash scripts/test.sh

demo:  ## run the demo against a local OpenID provider
	bash scripts/demo.sh

size:  ## the shipped size against size-budget.txt (needs pkg/)
	bash scripts/size.sh --check

bench: ## spa-auth, auth0-spa-js and oidc-client-ts in one Chromium run; prints a table, writes bench/results.json
	bash scripts/bench.sh
