"""Printed summaries of a search space and of the best trials (Keras Tuner's format)."""


def search_space_summary(hyperparameters, extended=False):
    space = hyperparameters.space
    lines = ["Search space summary", f"Default search space size: {len(space)}"]
    for hp in space:
        config = hp.get_config()
        if not extended:
            config = {k: v for k, v in config.items() if k not in ("name", "conditions") or v}
            config.pop("name", None)
        lines.append(f"{hp.name} ({type(hp).__name__})")
        lines.append(str(config))
    return "\n".join(lines)


def results_summary(oracle, project_dir=None, num_trials=10):
    lines = ["Results summary"]
    if project_dir:
        lines.append(f"Results in {project_dir}")
    lines.append(f"Showing {num_trials} best trials")
    lines.append(repr(oracle.objective))
    for trial in oracle.get_best_trials(num_trials):
        lines += ["", f"Trial {trial.trial_id} summary", "Hyperparameters:"]
        lines += [f"{name}: {value}" for name, value in trial.hyperparameters.values.items()]
        lines.append(f"Score: {trial.score}")
    return "\n".join(lines)
