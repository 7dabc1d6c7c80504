"""The example's own tests: each checks a seeded value of train.py against rng_golden/ with
rngsuite's rng_golden fixture (record with `python -m pytest --rngsuite-record`)."""

import train


def test_initial_weights_are_the_recorded_ones(rng_golden):
    """nn.Linear's initialisation from torch.manual_seed(0) gives the recorded weights."""
    rng_golden.check(train.init_weights(0), seed=0)


def test_the_first_batch_is_the_recorded_one(rng_golden):
    """The shuffled loader's first batch, with its workers' NumPy noise, is the recorded one."""
    rng_golden.check(train.first_batch(17), seed=17)


def test_four_training_steps_give_the_recorded_losses_and_weights(rng_golden):
    """Four steps of training from seed 17 end with the recorded losses and weights."""
    result = train.train(17)
    rng_golden.check(result["losses"], name="losses", seed=17)
    rng_golden.check(result["weights"], name="weights", seed=17)
