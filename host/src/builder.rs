//! `up --build` and `build`: runs each component's `[component.x.build]`
//! commands through the shell, in its working directory, like `spin build`.

use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::manifest::App;

pub fn build(app: &App) -> Result<()> {
    for component in app.components.values() {
        let Some(build) = &component.build else {
            continue;
        };
        for command in &build.commands {
            crate::log::warn(format_args!(
                "Building component {} with `{command}`",
                component.id
            ));
            let status = Command::new("sh")
                .arg("-c")
                .arg(command)
                .current_dir(&build.workdir)
                .status()
                .with_context(|| {
                    format!(
                        "cannot run the build command of component {:?}",
                        component.id
                    )
                })?;
            if !status.success() {
                bail!(
                    "build command for component {:?} failed with {status}: `{command}`",
                    component.id
                );
            }
        }
    }
    crate::log::warn("Finished building all Spin components");
    Ok(())
}
