"""The user config directory on the search path of custsim's commands.

Every custsim command composes its config from the package (`pkg://custsim.conf`); this
plugin appends the user config directory (`custsim.sim.compose.user_config_dir`:
`$CUSTSIM_CONFIG_DIR`, else `$XDG_CONFIG_HOME/custsim`, else `~/.config/custsim`) so that
its options are options of the same groups: `<dir>/population/mystore.yaml` is
`population=mystore` (what `custsim-calibrate` writes there). Appended, it comes after
the package: an option of the same name as a shipped one is not reachable (Hydra takes
the first match on the search path), and `custsim-calibrate` refuses such names.
Other Hydra apps in the environment are left alone (their search path has no
`pkg://custsim.conf`), and a directory that does not exist is not added.
"""

from pathlib import Path

from hydra.core.config_search_path import ConfigSearchPath
from hydra.plugins.search_path_plugin import SearchPathPlugin

PACKAGE_CONFIG = "pkg://custsim.conf"
PROVIDER = "custsim-user"


class CustsimUserConfig(SearchPathPlugin):
    """Appends `file://<user config dir>` to custsim apps' search path."""

    def manipulate_search_path(self, search_path: ConfigSearchPath) -> None:
        """Append the user config directory when this is a custsim app and the directory exists."""
        if not any(entry.path == PACKAGE_CONFIG for entry in search_path.get_path()):
            return
        from custsim.sim.compose import user_config_dir

        folder: Path = user_config_dir()
        if folder.is_dir():
            search_path.append(provider=PROVIDER, path=f"file://{folder}")
