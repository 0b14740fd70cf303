//! Where `import "helpers" as h;` finds its file: beside the script that imports it, then in each
//! `--module-path` folder, in order. The extension `.rhai` is added; an absolute path is taken as
//! it is.
//!
//! This is the rule of Rhai's own runner (its `FileModuleResolver` with the script's path as the
//! source), with two differences that users of split suites need: a module is named by its file
//! (so an error inside `helpers.rhai` points at `suite/flows/helpers.rhai:9`, and a module that
//! imports another finds it beside itself, not beside the first script), and more than one folder
//! can be searched. Modules are read on every import unless [`Modules::cached`]: each test gets
//! the module's top level afresh, as it gets a fresh backend, and an edited helper is seen by the
//! REPL's next import; a load agent, which runs its flow thousands of times, reads each module
//! once.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rhai::module_resolvers::ModuleResolver;
use rhai::{Engine, EvalAltResult, Module, Position, Scope, Shared};

/// Where modules are looked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Modules {
    /// The folder of the script being run: where its own imports are looked for first. `None`:
    /// the working folder (the REPL).
    pub base: Option<PathBuf>,
    /// The `--module-path` folders, searched in order after the importing script's folder.
    pub search: Vec<PathBuf>,
    /// Whether an engine reads and runs each module file once and keeps it (`ecapi load`), rather
    /// than on every import.
    pub cached: bool,
}

impl Modules {
    /// Modules for the script at `path`, with `search` as the extra folders.
    pub fn for_script(path: &Path, search: &[PathBuf]) -> Modules {
        Modules {
            base: Some(path.parent().unwrap_or(Path::new("")).to_path_buf()),
            search: search.to_vec(),
            cached: false,
        }
    }

    /// The same, each module read once per engine.
    pub fn cached(self) -> Modules {
        Modules {
            cached: true,
            ..self
        }
    }

    /// Makes `engine` resolve imports this way.
    pub fn install(&self, engine: &mut Engine) {
        engine.set_module_resolver(Resolver {
            modules: self.clone(),
            kept: RefCell::default(),
        });
    }

    /// The files an import of `path` from a script in `folder` may name, in the order tried.
    pub fn candidates(&self, folder: Option<&Path>, path: &str) -> Vec<PathBuf> {
        let with_extension = |p: PathBuf| {
            let mut p = p;
            p.set_extension("rhai");
            p
        };
        let wanted = Path::new(path);
        if wanted.is_absolute() {
            return vec![with_extension(wanted.to_path_buf())];
        }
        let first = folder
            .map(Path::to_path_buf)
            .or_else(|| self.base.clone())
            .unwrap_or_default();
        std::iter::once(first)
            .chain(self.search.iter().cloned())
            .map(|dir| with_extension(dir.join(wanted)))
            .collect()
    }
}

/// The `import "PATH"` and `import "PATH" as NAME` statements in a script's text, as path and
/// name (string literals only: a path computed at run time cannot be known before; comments after
/// `//` are left out).
pub fn imports(text: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("import") {
            let before = rest[..at].chars().next_back();
            let after = &rest[at + "import".len()..];
            rest = after;
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let trimmed = after.trim_start();
            if trimmed.len() == after.len() {
                continue; // `importer`, not the keyword
            }
            let Some(quoted) = trimmed.strip_prefix('"') else {
                continue;
            };
            let Some(end) = quoted.find('"') else {
                continue;
            };
            let alias = quoted[end + 1..]
                .trim_start()
                .strip_prefix("as")
                .filter(|r| r.starts_with(char::is_whitespace))
                .map(|r| {
                    r.trim_start()
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect::<String>()
                })
                .filter(|a| !a.is_empty());
            out.push((quoted[..end].to_string(), alias));
        }
    }
    out
}

/// The engine's resolver over [`Modules`], with the modules it keeps when cached.
struct Resolver {
    modules: Modules,
    kept: RefCell<HashMap<PathBuf, Shared<Module>>>,
}

impl ModuleResolver for Resolver {
    fn resolve(
        &self,
        engine: &Engine,
        source: Option<&str>,
        path: &str,
        pos: Position,
    ) -> Result<Shared<Module>, Box<EvalAltResult>> {
        // A module's source is its file (set below); the script being run has none, so its
        // imports start from `base`.
        let folder = source
            .filter(|s| !s.is_empty())
            .map(|s| Path::new(s).parent().unwrap_or(Path::new("")));
        let candidates = self.modules.candidates(folder, path);
        let Some(file) = candidates.iter().find(|f| f.is_file()) else {
            let tried: Vec<String> = candidates.iter().map(|c| c.display().to_string()).collect();
            return Err(Box::new(EvalAltResult::ErrorRuntime(
                format!(
                    "module \"{path}\" not found: looked for {}{}",
                    tried.join(", "),
                    if self.modules.search.is_empty() {
                        " (--module-path DIR adds a folder to look in)"
                    } else {
                        ""
                    }
                )
                .into(),
                pos,
            )));
        };
        if let Some(module) = self.kept.borrow().get(file) {
            return Ok(module.clone());
        }
        let name = file.display().to_string();
        let in_module =
            |e: Box<EvalAltResult>| Box::new(EvalAltResult::ErrorInModule(name.clone(), e, pos));
        let text = std::fs::read_to_string(file).map_err(|e| {
            in_module(Box::new(EvalAltResult::ErrorRuntime(
                format!("cannot read it: {e}").into(),
                Position::NONE,
            )))
        })?;
        let mut ast = engine
            .compile_with_scope(&Scope::new(), &text)
            .map_err(|e| in_module(e.into()))?;
        ast.set_source(name.as_str());
        let module: Shared<Module> = Module::eval_ast_as_new(Scope::new(), &ast, engine)
            .map_err(in_module)?
            .into();
        if self.modules.cached {
            self.kept.borrow_mut().insert(file.clone(), module.clone());
        }
        Ok(module)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_import_is_looked_for_beside_the_importer_then_in_each_module_path() {
        let m = Modules::for_script(
            Path::new("suite/flows/x.rhai"),
            &[PathBuf::from("shared"), PathBuf::from("/opt/lib")],
        );
        assert_eq!(
            m.candidates(None, "helpers"),
            [
                Path::new("suite/flows/helpers.rhai"),
                Path::new("shared/helpers.rhai"),
                Path::new("/opt/lib/helpers.rhai")
            ]
        );
        // A module importing another: beside the module.
        assert_eq!(
            m.candidates(Some(Path::new("shared")), "lib/util")[0],
            Path::new("shared/lib/util.rhai")
        );
        if cfg!(unix) {
            assert_eq!(m.candidates(None, "/abs/h"), [Path::new("/abs/h.rhai")]);
        }
    }

    fn loads(modules: Modules) -> usize {
        let mut engine = Engine::new();
        let printed = std::rc::Rc::new(RefCell::new(0));
        let p = printed.clone();
        engine.on_print(move |_| *p.borrow_mut() += 1);
        modules.install(&mut engine);
        for _ in 0..3 {
            engine
                .run("import \"m\" as m; if m::x != 1 { throw \"wrong module\" }")
                .unwrap();
        }
        let n = *printed.borrow();
        n
    }

    #[test]
    fn a_module_is_read_on_every_import_unless_cached() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("m.rhai"),
            "print(\"loaded\");\nexport const x = 1;\n",
        )
        .unwrap();
        let script = dir.path().join("flow.rhai");
        assert_eq!(loads(Modules::for_script(&script, &[])), 3);
        assert_eq!(loads(Modules::for_script(&script, &[]).cached()), 1);
    }

    #[test]
    fn imports_are_read_from_import_statements_only() {
        let found = imports(
            "import \"a/b\" as x;\nlet y = 1; import   \"c\";\n// import \"d\"\nreimport \"e\";\nimport \"f\" as  long_name ;",
        );
        assert_eq!(
            found,
            [
                ("a/b".to_string(), Some("x".to_string())),
                ("c".to_string(), None),
                ("f".to_string(), Some("long_name".to_string()))
            ]
        );
    }
}
