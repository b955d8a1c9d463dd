from snapshift.engine.base.identity_memo import IdentityMemo


def test_each_object_is_derived_once_and_equal_objects_apart() -> None:
    calls: list[object] = []

    def derive(key: list[int]) -> int:
        calls.append(key)
        return sum(key)

    memo: IdentityMemo[list[int], int] = IdentityMemo(derive)
    a, b = [1, 2], [1, 2]  # equal, not the same object: each derived on its own
    assert [memo(a), memo(a), memo(b), memo(a)] == [3, 3, 3, 3]
    assert calls == [a, b] and calls[1] is b


def test_an_entry_keeps_its_key_alive_so_no_new_object_takes_its_id() -> None:
    memo: IdentityMemo[object, int] = IdentityMemo(id)
    seen = {memo(object()) for _ in range(1000)}  # each temporary is held by its entry
    assert len(seen) == 1000
