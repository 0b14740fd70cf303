//! Where `import "helpers" as h;` finds its file: beside the script that imports it, then in each
//! `--module-path` folder, in order. The extension `.rhai` is added; an absolute path is taken as
//! it is.
//!
//! This is the rule of Rhai's own runner (its `FileModuleResolver` with the script's path as the
//! source), with two differences that users of split suites need: a module is named by its file
//! (so an error inside `helpers.rhai` points at `suite/flows/helpers.rhai:9`, and a module that
//! imports another finds it beside itself, not beside the first script), and more than one folder
//! can be searched. Modules are read on every import, not cached: each test gets the module's top
//! level afresh, as it gets a fresh backend, and an edited helper is seen by the REPL's next
//! import.

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
}

impl Modules {
    /// Modules for the script at `path`, with `search` as the extra folders.
    pub fn for_script(path: &Path, search: &[PathBuf]) -> Modules {
        Modules {
            base: Some(path.parent().unwrap_or(Path::new("")).to_path_buf()),
            search: search.to_vec(),
        }
    }

    /// Makes `engine` resolve imports this way.
    pub fn install(&self, engine: &mut Engine) {
        engine.set_module_resolver(Resolver(self.clone()));
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

/// The engine's resolver over [`Modules`].
struct Resolver(Modules);

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
        let candidates = self.0.candidates(folder, path);
        let Some(file) = candidates.iter().find(|f| f.is_file()) else {
            let tried: Vec<String> = candidates.iter().map(|c| c.display().to_string()).collect();
            return Err(Box::new(EvalAltResult::ErrorRuntime(
                format!(
                    "module \"{path}\" not found: looked for {}{}",
                    tried.join(", "),
                    if self.0.search.is_empty() {
                        " (--module-path DIR adds a folder to look in)"
                    } else {
                        ""
                    }
                )
                .into(),
                pos,
            )));
        };
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
        let module = Module::eval_ast_as_new(Scope::new(), &ast, engine).map_err(in_module)?;
        Ok(module.into())
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
}
