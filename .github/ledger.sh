#!/usr/bin/env bash
# The permanence record (published.lock) on its own branch, written only by the deploy workflow.
#
# published.lock lists every award and badge ever published, so that `badgepages check`
# refuses to lose one (README, "Permanence"). It lives on the branch badgepages-ledger rather
# than on main, so that main can be protected (changed only through reviewed pull requests)
# while each deploy still records what it put live. The branch holds:
#   published.lock   what is live: written once the site was deployed;
#   deploying.lock   what a deploy may put live: written before it publishes, removed when it
#                    ends; left behind only when a deploy's outcome is unknown (the next
#                    ones then treat it as published: in doubt, an award is kept).
#
#   ledger.sh fetch                 copy the record into ./published.lock, for check and build
#                                   (deploying.lock when present); without a record yet, the
#                                   checkout's own published.lock, if any, is left as it is
#   ledger.sh reserve LEDGER        before deploying: LEDGER (the build's) becomes deploying.lock
#   ledger.sh record LEDGER RESULT  after deploying, with the deploy job's result, when
#                                   deploying.lock is still LEDGER (else nothing is done):
#                                   success: LEDGER becomes published.lock;
#                                   failure: nothing new is live, deploying.lock goes;
#                                   anything else (cancelled): deploying.lock stays, in doubt
#
# Commits are made with git plumbing (no working tree is touched) and pushed as fast-forwards:
# a branch moved by anyone else makes the push fail rather than lose a record.
# Environment: BADGEPAGES_LEDGER_REMOTE (default origin), BADGEPAGES_LEDGER_BRANCH (default
# badgepages-ledger), BADGEPAGES_LEDGER_PUSH_TRIES (default 3). docs/adopt.md explains the design.
set -euo pipefail

remote="${BADGEPAGES_LEDGER_REMOTE:-origin}"
branch="${BADGEPAGES_LEDGER_BRANCH:-badgepages-ledger}"
tries="${BADGEPAGES_LEDGER_PUSH_TRIES:-3}"
export GIT_AUTHOR_NAME="${GIT_AUTHOR_NAME:-github-actions[bot]}"
export GIT_AUTHOR_EMAIL="${GIT_AUTHOR_EMAIL:-41898282+github-actions[bot]@users.noreply.github.com}"
export GIT_COMMITTER_NAME="${GIT_COMMITTER_NAME:-$GIT_AUTHOR_NAME}"
export GIT_COMMITTER_EMAIL="${GIT_COMMITTER_EMAIL:-$GIT_AUTHOR_EMAIL}"

warn() {
    if [ "${GITHUB_ACTIONS:-}" = true ]; then echo "::warning::$*"; else echo "warning: $*" >&2; fi
}

# Print the branch's commit, fetched; nothing when the branch does not exist yet.
branch_head() {
    local status=0
    git ls-remote --exit-code --heads "$remote" "refs/heads/$branch" >/dev/null || status=$?
    if [ "$status" -eq 2 ]; then
        return 0
    elif [ "$status" -ne 0 ]; then
        echo "error: cannot read the branches of $remote" >&2
        exit 1
    fi
    git fetch --quiet --no-tags --depth=1 "$remote" "refs/heads/$branch"
    git rev-parse FETCH_HEAD
}

# Print the blob id of FILE in COMMIT; nothing when it has no such file.
blob_of() {
    if [ -n "$1" ]; then git rev-parse --quiet --verify "$1:$2" || true; fi
}

# Commit the files given as NAME=BLOB (an empty BLOB leaves NAME out) on top of PARENT and push
# it; do nothing when the files are those PARENT already holds.
commit_files() {
    local parent=$1 message=$2 entry tree commit try
    shift 2
    tree=$(for entry in "$@"; do
        if [ -n "${entry#*=}" ]; then printf '100644 blob %s\t%s\n' "${entry#*=}" "${entry%%=*}"; fi
    done | git mktree)
    if [ -n "$parent" ] && [ "$tree" = "$(git rev-parse "$parent^{tree}")" ]; then
        echo "$branch unchanged: $message"
        return 0
    fi
    commit=$(git commit-tree "$tree" ${parent:+-p "$parent"} -m "$message" -m "$(run_link)")
    for try in $(seq "$tries"); do
        if git push --quiet "$remote" "$commit:refs/heads/$branch"; then
            echo "$branch: $message"
            return 0
        fi
        if [ "$try" -lt "$tries" ]; then sleep $((try * 5)); fi
    done
    echo "error: could not push $branch to $remote" >&2
    exit 1
}

run_link() {
    local sha="${GITHUB_SHA:-$(git rev-parse HEAD)}"
    if [ -n "${GITHUB_RUN_ID:-}" ]; then
        echo "Source: $sha, run ${GITHUB_SERVER_URL:-https://github.com}/${GITHUB_REPOSITORY:-}/actions/runs/$GITHUB_RUN_ID"
    else
        echo "Source: $sha"
    fi
}

cmd_fetch() {
    local head name
    head=$(branch_head)
    for name in deploying.lock published.lock; do
        if [ -n "$(blob_of "$head" "$name")" ]; then
            git cat-file blob "$head:$name" >published.lock
            if [ "$name" = deploying.lock ]; then
                warn "a deploy is running or did not finish: its awards count as published ($branch has deploying.lock)"
            fi
            echo "published.lock: $name of $branch (commit $head)"
            return 0
        fi
    done
    if [ -f published.lock ]; then
        echo "published.lock: no record on $branch yet; the first deploy starts from this checkout's published.lock"
    else
        echo "published.lock: no record on $branch yet; nothing has been published"
    fi
}

cmd_reserve() {
    local ledger=$1 head published new
    head=$(branch_head)
    published=$(blob_of "$head" published.lock)
    new=$(git hash-object -w -- "$ledger")
    if [ "$new" = "$published" ]; then
        new=""  # nothing that is not already recorded can go live
    fi
    commit_files "$head" "Deploying: what this deploy may publish" \
        "published.lock=$published" "deploying.lock=$new"
}

cmd_record() {
    local ledger=$1 result=$2 head ours
    head=$(branch_head)
    ours=$(git hash-object -w -- "$ledger")
    if [ "$(blob_of "$head" deploying.lock)" != "$ours" ]; then
        # Nothing new was reserved, or a later deploy took over (a re-run of an old record
        # job must not take back what came after it).
        echo "$branch: nothing to record (no reservation of this deploy's record)"
        return 0
    fi
    case "$result" in
    success)
        commit_files "$head" "Published: what this deploy put live" "published.lock=$ours"
        ;;
    failure)
        commit_files "$head" "Deploy failed: nothing new is live" \
            "published.lock=$(blob_of "$head" published.lock)"
        ;;
    *)
        warn "the deploy ended as '$result': what it published is unknown, so deploying.lock stays on $branch and its awards count as published"
        ;;
    esac
}

case "${1:-} $#" in
"fetch 1") cmd_fetch ;;
"reserve 2") cmd_reserve "$2" ;;
"record 3") cmd_record "$2" "$3" ;;
*)
    echo "usage: $0 fetch | reserve LEDGER | record LEDGER RESULT" >&2
    exit 2
    ;;
esac
