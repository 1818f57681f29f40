# The two commands: `make demo` runs the main job on the embedded default; `make test` runs every test.
# `make install` puts the release binary, its shell completions and a man page under PREFIX (default ~/.local).
.PHONY: demo test build install install-files uninstall clean

PREFIX ?= $(HOME)/.local
BIN := .build/release/embedsync
BASH_COMPLETION := $(PREFIX)/share/bash-completion/completions/embedsync
ZSH_COMPLETION := $(PREFIX)/share/zsh/site-functions/_embedsync
FISH_COMPLETION := $(PREFIX)/share/fish/vendor_completions.d/embedsync.fish
MAN_PAGE := $(PREFIX)/share/man/man1/embedsync.1

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

build:
	bash scripts/setup.sh
	swift build -c release --product embedsync

install: build install-files
	@echo "installed $(PREFIX)/bin/embedsync; make sure $(PREFIX)/bin is on your PATH"

# The files of `make install`, from BIN as it is (the test command checks them with the debug binary).
install-files:
	install -d $(PREFIX)/bin $(dir $(BASH_COMPLETION)) $(dir $(ZSH_COMPLETION)) $(dir $(FISH_COMPLETION)) $(dir $(MAN_PAGE))
	install -m 755 $(BIN) $(PREFIX)/bin/embedsync
	$(BIN) --generate-completion-script bash > $(BASH_COMPLETION)
	$(BIN) --generate-completion-script zsh > $(ZSH_COMPLETION)
	$(BIN) --generate-completion-script fish > $(FISH_COMPLETION)
	help2man --no-info --name "fill and keep fresh the vector embeddings of a table's rows, and search them" \
		--output $(MAN_PAGE) $(BIN)

uninstall:
	rm -f $(PREFIX)/bin/embedsync $(BASH_COMPLETION) $(ZSH_COMPLETION) $(FISH_COMPLETION) $(MAN_PAGE)

clean:
	rm -rf .build demo
