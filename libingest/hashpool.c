/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * SHA-256 of whole files on a second thread.
 *
 * The scan hands over files whose bytes sit still in memory (a disc image
 * mapped read-only) and goes on to the next entry; a thread of ours hashes
 * them, oldest first. When the bytes handed over but not yet hashed reach
 * the bound (limits.hash_pending_bytes) the scan thread takes the oldest
 * waiting file and hashes it itself, so both cores hash when the writing
 * side is the faster one, and the memory held stays bounded.
 *
 * A job writes only f->sha256 and f->hashed; the scan reads them after
 * hashpool_drain(), which waits for every job (mutex: happens-before).
 */
#include <pthread.h>

#include "hashpool.h"
#include "model.h"

#define JOBS_MAX 1024u               /* ring of jobs; a full ring waits like full bytes */

struct job {
	const uint8_t *p;
	size_t n;
	struct ing_file *f;
	bool running;                    /* taken by a thread */
	bool done;
};

struct hashpool {
	pthread_mutex_t mu;
	pthread_cond_t work;             /* a job was queued, or stop */
	pthread_cond_t space;            /* a job finished */
	pthread_t thread;
	bool thread_ok, stop;
	struct job ring[JOBS_MAX];
	size_t head, tail;               /* jobs [head, tail) are in the ring, oldest at head */
	size_t pending_bytes;            /* bytes of jobs not finished */
	size_t max_pending;
};

static void job_run(const struct job *j)
{
	struct sha256_ctx *c = sha256_new();
	sha256_update_mapped(c, j->p, j->n);
	sha256_final(c, j->f->sha256);
	sha256_free(c);
}

/* Retire finished jobs at the head; called with mu held. */
static void retire(struct hashpool *hp)
{
	while (hp->head != hp->tail && hp->ring[hp->head % JOBS_MAX].done)
		hp->head++;
}

/* The oldest job nobody runs yet, or NULL; called with mu held. */
static struct job *next_waiting(struct hashpool *hp)
{
	for (size_t i = hp->head; i != hp->tail; i++) {
		struct job *j = &hp->ring[i % JOBS_MAX];
		if (!j->running && !j->done)
			return j;
	}
	return NULL;
}

/* Run job j (taken under mu), then mark it done. Called with mu held; drops it meanwhile. */
static void take_and_run(struct hashpool *hp, struct job *j)
{
	j->running = true;
	struct job copy = *j;
	pthread_mutex_unlock(&hp->mu);
	job_run(&copy);
	pthread_mutex_lock(&hp->mu);
	copy.f->hashed = true;
	j->done = true;
	hp->pending_bytes -= copy.n;
	retire(hp);
	pthread_cond_broadcast(&hp->space);
}

static void *worker(void *arg)
{
	struct hashpool *hp = arg;
	pthread_mutex_lock(&hp->mu);
	for (;;) {
		struct job *j = next_waiting(hp);
		if (j) {
			take_and_run(hp, j);
			continue;
		}
		if (hp->stop)
			break;
		pthread_cond_wait(&hp->work, &hp->mu);
	}
	pthread_mutex_unlock(&hp->mu);
	return NULL;
}

struct hashpool *hashpool_new(size_t max_pending_bytes)
{
	struct hashpool *hp = xcalloc(1, sizeof(*hp));
	pthread_mutex_init(&hp->mu, NULL);
	pthread_cond_init(&hp->work, NULL);
	pthread_cond_init(&hp->space, NULL);
	hp->max_pending = max_pending_bytes ? max_pending_bytes : 1;
	/* Without a thread (none could be made) every job runs in the caller. */
	hp->thread_ok = pthread_create(&hp->thread, NULL, worker, hp) == 0;
	return hp;
}

void hashpool_submit(struct hashpool *hp, struct ing_file *f, const uint8_t *p, size_t n)
{
	pthread_mutex_lock(&hp->mu);
	/* Over the bound: help with the oldest waiting job, or wait for one to finish. */
	while (hp->tail - hp->head >= JOBS_MAX || (hp->pending_bytes > 0 && hp->pending_bytes + n > hp->max_pending)) {
		struct job *w = next_waiting(hp);
		if (w)
			take_and_run(hp, w);
		else
			pthread_cond_wait(&hp->space, &hp->mu);
	}
	struct job *j = &hp->ring[hp->tail++ % JOBS_MAX];
	*j = (struct job){ .p = p, .n = n, .f = f };
	hp->pending_bytes += n;
	if (!hp->thread_ok)
		take_and_run(hp, j);
	else
		pthread_cond_signal(&hp->work);
	pthread_mutex_unlock(&hp->mu);
}

const uint8_t *hashpool_low_water(struct hashpool *hp)
{
	const uint8_t *low = NULL;
	pthread_mutex_lock(&hp->mu);
	for (size_t i = hp->head; i != hp->tail; i++) {
		const struct job *j = &hp->ring[i % JOBS_MAX];
		if (!j->done && (!low || j->p < low))
			low = j->p;
	}
	pthread_mutex_unlock(&hp->mu);
	return low;
}

void hashpool_drain(struct hashpool *hp)
{
	pthread_mutex_lock(&hp->mu);
	while (hp->head != hp->tail) {
		struct job *w = next_waiting(hp);
		if (w)
			take_and_run(hp, w);
		else
			pthread_cond_wait(&hp->space, &hp->mu);
	}
	pthread_mutex_unlock(&hp->mu);
}

void hashpool_free(struct hashpool *hp)
{
	if (!hp)
		return;
	hashpool_drain(hp);
	pthread_mutex_lock(&hp->mu);
	hp->stop = true;
	pthread_cond_broadcast(&hp->work);
	pthread_mutex_unlock(&hp->mu);
	if (hp->thread_ok)
		pthread_join(hp->thread, NULL);
	pthread_cond_destroy(&hp->space);
	pthread_cond_destroy(&hp->work);
	pthread_mutex_destroy(&hp->mu);
	free(hp);
}
