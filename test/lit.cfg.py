# lit configuration for Lamina: one directory per compiler stage.
import os
import lit.formats

config.name = "Lamina"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".lam", ".lir", ".test"]
config.excludes = ["Inputs", "unit", "bench", "CMakeLists.txt", "lit.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.lamina_obj_root, "test")

path = os.pathsep.join([config.lamina_tools_dir, config.llvm_tools_dir,
                        config.environment.get("PATH", os.environ["PATH"])])
config.environment["PATH"] = path
config.environment["FILECHECK_OPTS"] = "--enable-var-scope --allow-unused-prefixes=false"
# Generated executables use one thread pool size everywhere for stable runs.
config.environment["HL_NUM_THREADS"] = "2"
for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "HOME", "TMPDIR"):
    if var in os.environ:
        config.environment[var] = os.environ[var]

# laminac keeps compiled kernels here between tests (its --cache-dir
# default is under XDG_CACHE_HOME), not in the user's home.
config.environment["XDG_CACHE_HOME"] = os.path.join(config.lamina_obj_root, "test", "kernel-cache")

config.substitutions.append(("%cxx", config.cxx))
config.substitutions.append(("%cc", config.cc))
config.substitutions.append(("%lamina_build", config.lamina_obj_root))
config.substitutions.append(("%lamina_src", config.lamina_src_root))
# What a program that links a model library adds in a sanitized build.
config.substitutions.append(("%san_flags", config.san_flags))
config.substitutions.append(("%examples", os.path.join(config.lamina_src_root, "examples")))
config.substitutions.append(("%fmnist", "/usr/share/datasets/fashion-mnist"))
config.substitutions.append(("%python", "/usr/bin/python3"))
# `asan`: the build is sanitized (LAMINA_SANITIZE). Multi-epoch accuracy runs
# say `UNSUPPORTED: asan`: they belong in the release build, and lit reports
# them as unsupported, not as passed.
if config.sanitize:
    config.available_features.add("asan")
# How many PyTorch differential cases to generate (test/Torch/gen_cases.py
# --scale): 1196 in the release build, 300 under the sanitizers, where the
# compiler runs several times slower.
config.substitutions.append(("%diff_scale", "0.5" if config.sanitize else "2"))
