# The two commands: `make demo` runs the main job on the embedded default; `make test` runs every test.
.PHONY: demo test build clean

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

build:
	swift build -c release --product embedsync

clean:
	rm -rf .build demo
