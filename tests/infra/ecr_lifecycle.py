"""ECR lifecycle rules applied to a list of images, as the Amazon ECR user guide documents them
("Lifecycle policies", evaluation rules), so a policy can be run over a simulated push history:

- rules are evaluated from the lowest rulePriority up; an image is expired by one rule or none;
- an image that matches the tagging requirements of a rule cannot be expired by a rule of lower
  priority, though lower rules still count it ("can still identify them as if they haven't been
  expired");
- `tagged` with tagPatternList (or tagPrefixList) matches an image when every pattern (prefix) in the
  list matches at least one of the image's tags; `untagged` matches images without tags; `any` all;
- imageCountMoreThan N: the images a rule matches are sorted newest push first and those after the
  first N are expired; sinceImagePushed N days: those pushed more than N days ago.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Image:
    digest: str
    pushed: float  # days since some origin
    tags: frozenset[str] = field(default_factory=frozenset)


def _pattern(pattern: str, tag: str) -> bool:
    return re.fullmatch(".*".join(re.escape(part) for part in pattern.split("*")), tag) is not None


def matches(selection: Mapping[str, Any], image: Image) -> bool:
    status = selection["tagStatus"]
    if status == "untagged":
        return not image.tags
    if status == "any":
        return True
    if not image.tags:
        return False
    patterns = selection.get("tagPatternList")
    if patterns is not None:
        return all(any(_pattern(p, tag) for tag in image.tags) for p in patterns)
    prefixes = selection.get("tagPrefixList")
    if prefixes is not None:
        return all(any(tag.startswith(p) for tag in image.tags) for p in prefixes)
    return True


def expired(policy: Mapping[str, Any], images: Iterable[Image], now: float) -> set[str]:
    """The digests the policy expires when evaluated at time `now` (in days)."""
    images = list(images)
    gone: set[str] = set()
    matched_earlier: set[str] = set()
    for rule in sorted(policy["rules"], key=lambda r: r["rulePriority"]):
        selection = rule["selection"]
        chosen = sorted((i for i in images if matches(selection, i)), key=lambda i: i.pushed, reverse=True)
        if selection["countType"] == "imageCountMoreThan":
            candidates = chosen[selection["countNumber"] :]
        else:  # sinceImagePushed, in days
            candidates = [i for i in chosen if now - i.pushed > selection["countNumber"]]
        gone |= {i.digest for i in candidates if i.digest not in matched_earlier}
        matched_earlier |= {i.digest for i in chosen}
    return gone
