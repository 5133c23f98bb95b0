"""Targets of the community endpoints for the authorization matrix and the bad-input sweep: each makes what
the endpoint acts on, with the world's viewer as the buyer where the rule needs one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.community import Purchase, buy, review
from tests.helpers import Actor

if TYPE_CHECKING:  # the matrix imports this module while it is being defined
    from tests.api.test_authorization import World

Target = dict[str, str]


def _viewer(world: World) -> Actor:
    viewer = world.actors["viewer"]
    assert viewer
    return viewer


async def bought_by(world: World, buyer: Actor) -> Purchase:
    show, offer = await world.api.live_show(world.owner, host=world.actors["own_host"])
    return Purchase(world.owner, show, offer, buyer, await buy(world.api, buyer, show, offer))


async def a_product_the_viewer_bought(world: World) -> Target:
    p = await bought_by(world, _viewer(world))
    return {"product": p.product_id, "order": p.order_id, "show": p.show["id"]}


async def the_viewers_review(world: World) -> Target:
    p = await bought_by(world, _viewer(world))
    return {"review": (await review(world.api, p))["id"], "product": p.product_id}


async def someone_elses_review(world: World) -> Target:
    p = await bought_by(world, await world.api.viewer("Reviewer"))
    return {"review": (await review(world.api, p))["id"], "product": p.product_id}


async def a_question_the_viewer_can_answer(world: World) -> Target:
    target = await a_product_the_viewer_bought(world)
    asker = await world.api.viewer("Asker")
    _, question = await world.api.call("POST", f"/api/products/{target['product']}/questions", asker,
                                       json={"text": "Does it fit?"}, expect=201)
    return {**target, "question": question["id"]}


async def the_viewers_complaint(world: World) -> Target:
    target = await a_product_the_viewer_bought(world)
    _, issue = await world.api.call("POST", f"/api/orders/{target['order']}/issues", _viewer(world),
                                    json={"kind": "damaged", "text": "Crushed"}, expect=201)
    return {**target, "issue": issue["id"]}


async def a_customer(world: World) -> Target:
    return {"target": (await world.api.viewer("Customer")).id}


async def a_live_chat_question(world: World) -> Target:
    from tests.api.test_authorization import a_live_show_with_message

    return await a_live_show_with_message(world)
